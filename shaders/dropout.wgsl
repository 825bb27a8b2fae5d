// Inverted dropout (forward in training and backward alike): y[i] = x[i]·scale where the
// value's hash is ≥ threshold, else 0. The hash is pcg(pcg(j) ^ pcg(pcg(seed) ^ step)) of the
// value's batch-major index j (PCG hash, Jarzynski & Olano 2020), so the mask depends on
// (seed, step, j) only: the same on either layout, recomputed by the backward instead of kept,
// and reproduced bit for bit by src/reference/dropout.ts. threshold = floor(rate·2^32),
// scale = 1 / (1 − rate).
//
// Bindings (group 0):
//   @binding(0) x  read        [xOffset + count]; logical [B, T, F] stored time-major
//                              [T, B, F] when timeMajor, else batch-major (or [B, F])
//   @binding(1) y  read_write  [count], the layout of x
//   @binding(2) p  uniform     { count, xOffset, seed, step, threshold, timeMajor, B, T, F, scale }
// Dispatch: (gx, gy), gx·gy·WG ≥ count (gx within the adapter's per-dimension limit); one
// invocation writes one value at the flat index i = id.y·gx·WG + id.x.

struct Params {
  count: u32,
  xOffset: u32,
  seed: u32,
  step: u32,
  threshold: u32,
  timeMajor: u32,
  B: u32,
  T: u32,
  F: u32,
  scale: f32,
  _pad0: u32,
  _pad1: u32,
}

override WG: u32 = 64;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = id.y * groups.x * WG + id.x;
  if (i >= p.count) {
    return;
  }
  var j = i;
  if (p.timeMajor != 0u) {
    let t = i / (p.B * p.F);
    let rest = i - t * p.B * p.F;
    let b = rest / p.F;
    let f = rest - b * p.F;
    j = (b * p.T + t) * p.F + f;
  }
  let key = pcg(pcg(p.seed) ^ p.step);
  let keep = pcg(pcg(j) ^ key) >= p.threshold;
  y[i] = select(0.0, x[p.xOffset + i] * p.scale, keep);
}

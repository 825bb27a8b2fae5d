// Inverted dropout (forward in training and backward alike): y[i] = x[i]·scale where the
// value's hash is ≥ threshold, else 0. The hash is pcg(pcg(j) ^ pcg(pcg(seed) ^ step)) of the
// value's batch-major index j (PCG hash, Jarzynski & Olano 2020), so the mask depends on
// (seed, step, j) only: the same on either layout, recomputed by the backward instead of kept,
// and reproduced bit for bit by src/reference/dropout.ts. threshold = floor(rate·2^32),
// scale = 1 / (1 − rate). Composed after hash.wgsl (pcg).
// perSequence (the recurrent layers' dropout / recurrentDropout, as Keras): j = b·F + f, one
// mask [B, F] for every step t. mode 0: y = x ⊙ mask·scale; 1: y = mask·scale (x unread);
// 2: y += x ⊙ mask·scale.
//
// Bindings (group 0):
//   @binding(0) x  read        [xOffset + count]; logical [B, T, F] stored time-major
//                              [T, B, F] when timeMajor, else batch-major (or [B, F])
//   @binding(1) y  read_write  [count], the layout of x
//   @binding(2) p  uniform     { count, xOffset, seed, step, threshold, timeMajor, B, T, F, scale,
//                                perSequence, mode }
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
  perSequence: u32,
  mode: u32,
}

override WG: u32 = 64;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = id.y * groups.x * WG + id.x;
  if (i >= p.count) {
    return;
  }
  var j = i;
  if (p.timeMajor != 0u || p.perSequence != 0u) {
    var b: u32;
    var t: u32;
    var f: u32;
    if (p.timeMajor != 0u) {
      t = i / (p.B * p.F);
      let rest = i - t * p.B * p.F;
      b = rest / p.F;
      f = rest - b * p.F;
    } else {
      b = i / (p.T * p.F);
      let rest = i - b * p.T * p.F;
      t = rest / p.F;
      f = rest - t * p.F;
    }
    j = select((b * p.T + t) * p.F + f, b * p.F + f, p.perSequence != 0u);
  }
  let key = pcg(pcg(p.seed) ^ p.step);
  let keep = pcg(pcg(j) ^ key) >= p.threshold;
  if (p.mode == 1u) {
    y[i] = select(0.0, p.scale, keep);
  } else if (p.mode == 2u) {
    y[i] += select(0.0, x[p.xOffset + i] * p.scale, keep);
  } else {
    y[i] = select(0.0, x[p.xOffset + i] * p.scale, keep);
  }
}

// Gathers the samples of one batch, steps t0 … t0+T of each:
//   out[row(b, t), :] = src[(idx[start + b]·srcT + t0 + t)·F + :]
// with row(b, t) = t·B + b when TIME_MAJOR, else b·T + t. A sample is srcT rows of F values
// (srcT = T = 1 for 2-D data).
//
// Bindings (group 0):
//   @binding(0) src  read        [N, srcT, F] all samples
//   @binding(1) idx  read        [N] sample order (u32), e.g. a shuffled permutation
//   @binding(2) out  read_write  [B, T, F], or [T, B, F] when TIME_MAJOR
//   @binding(3) p    uniform     { start, B, T, F, srcT, t0 }
// Dispatch: (ceil(F / WG), T, B); one invocation copies one value.

struct Params {
  start: u32,
  B: u32,
  T: u32,
  F: u32,
  srcT: u32,
  t0: u32,
  _pad0: u32,
  _pad1: u32,
}

override WG: u32 = 64;
override TIME_MAJOR: bool = false;

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read> idx: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let f = id.x;
  let t = id.y;
  let b = id.z;
  if (f >= p.F) {
    return;
  }
  let sample = idx[p.start + b];
  var row = b * p.T + t;
  if (TIME_MAJOR) {
    row = t * p.B + b;
  }
  out[row * p.F + f] = src[(sample * p.srcT + p.t0 + t) * p.F + f];
}

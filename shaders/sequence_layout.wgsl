// Time-major to batch-major copy of a hidden-state sequence:
//   Y[b, t, j] = hseq[srcOffset + (t·B + b)·H + j]
// or, with TO_TIME_MAJOR, the other way (a gradient handed back to a time-major layer):
//   Y[(t·B + b)·H + j] = hseq[srcOffset + (b·T + t)·H + j]
//
// Bindings (group 0):
//   @binding(0) hseq  read        time-major [T, B, H] (TO_TIME_MAJOR: batch-major [B, T, H]) from element p.srcOffset
//   @binding(1) Y     read_write  [B, T, H] (TO_TIME_MAJOR: [T, B, H])
//   @binding(2) p     uniform     Params
// Dispatch: (ceil(B·H / WG), T); one invocation copies one element.

struct Params {
  T: u32,
  B: u32,
  H: u32,
  srcOffset: u32,
}

override WG: u32 = 64;
override TO_TIME_MAJOR: bool = false;

@group(0) @binding(0) var<storage, read> hseq: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let bj = id.x;
  let t = id.y;
  if (bj >= p.B * p.H) {
    return;
  }
  let b = bj / p.H;
  let j = bj % p.H;
  if (TO_TIME_MAJOR) {
    Y[t * p.B * p.H + bj] = hseq[p.srcOffset + (b * p.T + t) * p.H + j];
    return;
  }
  Y[(b * p.T + t) * p.H + j] = hseq[p.srcOffset + t * p.B * p.H + bj];
}

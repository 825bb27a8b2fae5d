// Keras masking: the step mask of a sequence,
//   mask[b, t] = 1 if any x[b, t, f] ≠ MASK_VALUE over f, else 0
// (Masking layer; Embedding's maskZero is F = 1 over the ids with MASK_VALUE 0).
//
// Bindings (group 0):
//   @binding(0) x     read        [B, T, F] from element p.offset, or [T, B, F] when TIME_MAJOR
//   @binding(1) mask  read_write  [B, T] f32 1/0, batch-major
//   @binding(2) p     uniform     { B, T, F, offset, maskValue }
// Dispatch: (ceil(B·T / WG)); one invocation a (b, t).

struct Params {
  B: u32,
  T: u32,
  F: u32,
  offset: u32,
  maskValue: f32,
  _p0: u32,
  _p1: u32,
  _p2: u32,
}

override WG: u32 = 64;
override TIME_MAJOR: bool = false;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> mask: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x;
  if (i >= p.B * p.T) {
    return;
  }
  let b = i / p.T;
  let t = i % p.T;
  var row = b * p.T + t;
  if (TIME_MAJOR) {
    row = t * p.B + b;
  }
  var keep = 0.0;
  for (var f = 0u; f < p.F; f++) {
    if (x[p.offset + row * p.F + f] != p.maskValue) {
      keep = 1.0;
      break;
    }
  }
  mask[i] = keep;
}

// Backward of the Bidirectional merge (bidirectional_merge.wgsl): from dY, the gradients of
// the forward direction's output dF (input step order) and of the backward direction's output
// dR (its processing order, r = REVERSE ? T−1−t : t):
//   MODE 0 concat: dF[t] = dY[t, :, 0:H],  dR[r] = dY[t, :, H:2H]
//   MODE 1 sum:    dF[t] = dR[r] = dY[t]
//   MODE 2 mul:    dF[t] = dY[t] ⊙ R[r],   dR[r] = dY[t] ⊙ F[t]
//   MODE 3 ave:    dF[t] = dR[r] = dY[t] / 2
// MASKED: the forward wrote zeros at masked steps (mask[b, t] = 0), so dF and dR are 0 there.
//
// Bindings (group 0):
//   @binding(0) dY  read        time-major [T, B, W] from element p.dyOffset, W = 2H (concat) or H
//   @binding(1) F   read        time-major [T, B, H] from element p.fOffset (read in MODE 2 only)
//   @binding(2) R   read        time-major [T, B, H] from element p.rOffset (read in MODE 2 only)
//   @binding(3) dF  read_write  [T, B, H]
//   @binding(4) dR  read_write  [T, B, H]
//   @binding(5) p   uniform     Params
//   @binding(6) mask read       MASKED: [B, T] f32 1/0 batch-major; otherwise unused
// Dispatch: (ceil(B·H / WG), T); one invocation writes one element of dF and one of dR.

struct Params {
  T: u32,
  B: u32,
  H: u32,
  dyOffset: u32,
  fOffset: u32,
  rOffset: u32,
}

override WG: u32 = 64;
override MODE: u32 = 0u;
override REVERSE: bool = true;
override MASKED: bool = false;

@group(0) @binding(0) var<storage, read> dY: array<f32>;
@group(0) @binding(1) var<storage, read> F: array<f32>;
@group(0) @binding(2) var<storage, read> R: array<f32>;
@group(0) @binding(3) var<storage, read_write> dF: array<f32>;
@group(0) @binding(4) var<storage, read_write> dR: array<f32>;
@group(0) @binding(5) var<uniform> p: Params;
@group(0) @binding(6) var<storage, read> mask: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let bj = id.x;
  let t = id.y;
  let BH = p.B * p.H;
  if (bj >= BH) {
    return;
  }
  var r = t;
  if (REVERSE) {
    r = p.T - 1u - t;
  }
  if (MASKED && mask[(bj / p.H) * p.T + t] == 0.0) {
    dF[t * BH + bj] = 0.0;
    dR[r * BH + bj] = 0.0;
    return;
  }
  if (MODE == 0u) {
    let b = bj / p.H;
    let j = bj % p.H;
    let row = p.dyOffset + (t * p.B + b) * 2u * p.H;
    dF[t * BH + bj] = dY[row + j];
    dR[r * BH + bj] = dY[row + p.H + j];
    return;
  }
  let d = dY[p.dyOffset + t * BH + bj];
  if (MODE == 1u) {
    dF[t * BH + bj] = d;
    dR[r * BH + bj] = d;
  } else if (MODE == 2u) {
    dF[t * BH + bj] = d * R[p.rOffset + r * BH + bj];
    dR[r * BH + bj] = d * F[p.fOffset + t * BH + bj];
  } else {
    dF[t * BH + bj] = 0.5 * d;
    dR[r * BH + bj] = 0.5 * d;
  }
}

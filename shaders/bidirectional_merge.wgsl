// Bidirectional merge (Keras): the forward direction's output F and the backward direction's
// output R, whose sequence is in its processing order (reversed in time), merged into Y in the
// input's step order:
//   r = REVERSE ? T−1−t : t
//   MODE 0 concat:   Y[t, b, 0:H] = F[t, b, :],  Y[t, b, H:2H] = R[r, b, :]
//   MODE 1 sum:      Y[t, b, :] = F[t, b, :] + R[r, b, :]
//   MODE 2 mul:      Y[t, b, :] = F[t, b, :] ⊙ R[r, b, :]
//   MODE 3 ave:      Y[t, b, :] = (F[t, b, :] + R[r, b, :]) / 2
//   MODE 4 backward: Y[t, b, :] = R[r, b, :]     (mergeMode null: the backward output alone)
// A last-step output is T = 1 without REVERSE.
// MASKED (a sequence output of masked input, as Keras's Bidirectional, which sets
// zero_output_for_mask): Y[t, b, :] = 0 where mask[b, t] = 0.
//
// Bindings (group 0):
//   @binding(0) F  read        time-major [T, B, H] from element p.fOffset
//   @binding(1) R  read        time-major [T, B, H] from element p.rOffset
//   @binding(2) Y  read_write  time-major [T, B, W], W = 2H (concat) or H
//   @binding(3) p  uniform     Params
//   @binding(4) mask read      MASKED: [B, T] f32 1/0 batch-major; otherwise unused
// Dispatch: (ceil(B·H / WG), T); one invocation merges one element of F with one of R.

struct Params {
  T: u32,
  B: u32,
  H: u32,
  fOffset: u32,
  rOffset: u32,
}

override WG: u32 = 64;
override MODE: u32 = 0u;
override REVERSE: bool = true;
override MASKED: bool = false;

@group(0) @binding(0) var<storage, read> F: array<f32>;
@group(0) @binding(1) var<storage, read> R: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
@group(0) @binding(4) var<storage, read> mask: array<f32>;

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
  var keep = 1.0;
  if (MASKED) {
    keep = mask[(bj / p.H) * p.T + t];
  }
  let rv = select(0.0, R[p.rOffset + r * BH + bj], keep != 0.0);
  if (MODE == 4u) {
    Y[t * BH + bj] = rv;
    return;
  }
  let fv = select(0.0, F[p.fOffset + t * BH + bj], keep != 0.0);
  if (MODE == 0u) {
    let b = bj / p.H;
    let j = bj % p.H;
    let row = (t * p.B + b) * 2u * p.H;
    Y[row + j] = fv;
    Y[row + p.H + j] = rv;
  } else if (MODE == 1u) {
    Y[t * BH + bj] = fv + rv;
  } else if (MODE == 2u) {
    Y[t * BH + bj] = fv * rv;
  } else {
    Y[t * BH + bj] = 0.5 * (fv + rv);
  }
}

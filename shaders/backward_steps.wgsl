// The step loop of the LSTM and SimpleRNN backward step shaders (lstm_step_backward.wgsl,
// simple_rnn_step_backward.wgsl), composed after the cell's shader and before
// persistent_backward.wgsl (withBackwardSteps, src/kernels/compose.ts): the per-step entry
// point `main`, the one-phase hooks of persistent_backward.wgsl's `main_persistent`, and
// incoming_dh, the part of a unit's dh every cell computes alike.
// Takes from the prelude Step, WG, TB, MAX_TB, REC_DROPOUT, staged_matvec; from the cell's
// shader:
//   var dY, recMask                                    its bindings of those names (cell header)
//   fn grad_width() -> u32                             K, the width of a dG row (4H, H)
//   fn grad_value_at(t: u32, b: u32, k: u32) -> f32    dG[t] at (b, k)
//   fn weight_row(k: u32, j: u32) -> vec4f             row k of the transposed recurrent kernel
//                                                      at unit j in .x
//   fn finish_cell_backward(t: u32, tIn: u32, b: u32, j: u32, recurrent: f32)
//       step t's update of (b, j) (input step tIn) from recurrent = (dG[t+1]·Whᵀ)[b, j], 0 at
//       t = T-1
// Both entry points sum `recurrent` with fma in ascending k from 0: they agree to the bit.

override DY_SEQ: bool = true; // dY is [T, B, H] time-major; otherwise [B, H], added at t = T-1
// staged_matvec's vector: dG[t+1], [B, K].
fn staged_value(b: u32, k: u32) -> f32 {
  return grad_value_at(s.t + 1u, b, k);
}

// dh of (b, j) at step t before masking: recurrent⊙m + dY[t] (m = recMask with REC_DROPOUT;
// without DY_SEQ, dY only at t = T-1).
fn incoming_dh(t: u32, b: u32, j: u32, recurrent: f32) -> f32 {
  var dh = recurrent;
  if (REC_DROPOUT) {
    dh *= recMask[b * s.H + j];
  }
  if (DY_SEQ) {
    dh += dY[(t * s.B + b) * s.H + j];
  } else if (t + 1u == s.T) {
    dh += dY[b * s.H + j];
  }
  return dh;
}

// Step s.t. Dispatch: (ceil(H / WG), ceil(B / TB)); workgroup WG invocations; one invocation
// computes unit j for TB batch rows. Per K-slice of WG the workgroup stages TB rows of dG[t+1]
// in shared memory; each weight element read serves TB rows.
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let j = wg.x * WG + lid.x;
  let b0 = wg.y * TB;
  var dh: array<vec4f, MAX_TB>;
  if (s.t + 1u < s.T) {
    dh = staged_matvec(dh, grad_width(), j, b0, lid.x);
  }
  if (j >= s.H) {
    return;
  }
  for (var r = 0u; r < TB; r++) {
    let b = b0 + r;
    if (b >= s.B) {
      break;
    }
    finish_cell_backward(s.t, s.tIn, b, j, dh[r].x);
  }
}

// main_persistent's hooks (persistent_backward.wgsl): one phase a step, the mat-vec of dG[t+1].
fn backward_phases() -> u32 {
  return 1u;
}

fn phase_width(phase: u32) -> u32 {
  return grad_width();
}

fn phase_has_source(phase: u32, t: u32) -> bool {
  return t + 1u < s.T;
}

fn phase_source(phase: u32, t: u32, b: u32, k: u32) -> f32 {
  return grad_value_at(t + 1u, b, k);
}

fn phase_weight(phase: u32, k: u32, j: u32) -> f32 {
  return weight_row(k, j).x;
}

fn finish_phase(phase: u32, t: u32, tIn: u32, b: u32, j: u32, recurrent: f32) {
  finish_cell_backward(t, tIn, b, j, recurrent);
}

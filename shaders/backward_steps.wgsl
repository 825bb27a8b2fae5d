// The step loop of the LSTM and SimpleRNN backward step shaders (lstm_step_backward.wgsl,
// simple_rnn_step_backward.wgsl), composed after the cell's shader (withBackwardSteps,
// src/kernels/compose.ts): the per-step entry point `main`, the persistent `main_persistent`,
// and incoming_dh, the part of a unit's dh every cell computes alike.
// Takes from the prelude Step, WG, TB, MAX_TB, REC_DROPOUT, staged_matvec, input_step; from the
// cell's shader:
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
override PERSIST_MAX_K: u32 = 1024u; // main_persistent: the widest dG row it stages

var<workgroup> stagedGrad: array<f32, TB * PERSIST_MAX_K>; // main_persistent: dG[t+1] [rows, K]

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

// The whole sequence, steps t = T-1 … 0 in a loop. Dispatch: (ceil(B / TB)); workgroup WG
// invocations; workgroup w owns batch rows w·TB … w·TB + rows − 1 (rows never read each
// other's gradients), invocation lid units j ≡ lid (mod WG) of every row. Per step the
// workgroup stages dG[t+1] of its rows (≤ TB·PERSIST_MAX_K) in workgroup memory; a storage
// barrier makes step t's dG visible to the workgroup before step t-1 reads it.
@compute @workgroup_size(WG)
fn main_persistent(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let H = s.H;
  let K = grad_width();
  let b0 = wg.x * TB;
  let rows = min(TB, s.B - b0);
  let RK = rows * K;
  for (var i = 0u; i < s.T; i++) {
    let t = s.T - 1u - i;
    let recurrent = t + 1u < s.T;
    if (recurrent) {
      for (var e = lid.x; e < RK; e += WG) {
        stagedGrad[e] = grad_value_at(t + 1u, b0 + e / K, e % K);
      }
    }
    workgroupBarrier();
    for (var j = lid.x; j < H; j += WG) {
      var dh = array<f32, MAX_TB>(); // zeroed explicitly: with a bare `var dh: …;` SwiftShader kept the previous iteration's sums
      if (recurrent) {
        for (var k = 0u; k < K; k++) {
          let w = weight_row(k, j).x;
          for (var r = 0u; r < rows; r++) {
            dh[r] = fma(stagedGrad[r * K + k], w, dh[r]);
          }
        }
      }
      for (var r = 0u; r < rows; r++) {
        finish_cell_backward(t, input_step(t), b0 + r, j, dh[r]);
      }
    }
    storageBarrier();
    workgroupBarrier();
  }
}

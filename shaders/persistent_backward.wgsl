// The persistent backward step loop of every recurrent cell (LSTM, GRU both modes, SimpleRNN),
// composed last (withPersistentBackward, src/kernels/compose.ts): `main_persistent`, steps
// t = T-1 … 0 of the whole sequence in one dispatch.
// Takes from the prelude Step, WG, TB, MAX_TB, input_step; from the cell's shader (LSTM and
// SimpleRNN through backward_steps.wgsl) a step as `backward_phases()` phases, each a mat-vec
// of a staged gradient row and a pointwise update:
//   fn backward_phases() -> u32                          phases a step (GRU reset before: 2)
//   fn phase_width(phase: u32) -> u32                    K, the width of the staged row
//   fn phase_has_source(phase: u32, t: u32) -> bool      whether step t's phase has a mat-vec
//                                                        (not at t = T-1 where it reads step t+1)
//   fn phase_source(phase: u32, t: u32, b: u32, k: u32) -> f32   the staged row's (b, k)
//   fn phase_weight(phase: u32, k: u32, j: u32) -> f32   row k of the transposed weights, unit j
//   fn finish_phase(phase: u32, t: u32, tIn: u32, b: u32, j: u32, recurrent: f32)
//       the update of (b, j) from recurrent = Σ_k source(b, k)·weight(k, j), 0 without a source
// The sum runs with fma in ascending k from 0, as staged_matvec does: the per-step `main` of
// each cell agrees with it to the bit.

override PERSIST_MAX_K: u32 = 1024u; // the widest staged row

var<workgroup> stagedGrad: array<f32, TB * PERSIST_MAX_K>; // a phase's staged row [rows, K]

// Dispatch: (ceil(B / TB)); workgroup WG invocations; workgroup w owns batch rows w·TB … w·TB +
// rows − 1 (rows never read each other's gradients), invocation lid units j ≡ lid (mod WG) of
// every row. Per phase the workgroup stages its rows of the source (≤ TB·PERSIST_MAX_K); a
// storage barrier makes a phase's writes visible to the workgroup before the next phase reads.
@compute @workgroup_size(WG)
fn main_persistent(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let H = s.H;
  let b0 = wg.x * TB;
  let rows = min(TB, s.B - b0);
  let phases = backward_phases();
  for (var i = 0u; i < s.T; i++) {
    let t = s.T - 1u - i;
    for (var phase = 0u; phase < phases; phase++) {
      let K = phase_width(phase);
      let RK = rows * K;
      let recurrent = phase_has_source(phase, t);
      if (recurrent) {
        for (var e = lid.x; e < RK; e += WG) {
          stagedGrad[e] = phase_source(phase, t, b0 + e / K, e % K);
        }
      }
      workgroupBarrier();
      for (var j = lid.x; j < H; j += WG) {
        var dh = array<f32, MAX_TB>(); // zeroed explicitly: with a bare `var dh: …;` SwiftShader kept the previous iteration's sums
        if (recurrent) {
          for (var k = 0u; k < K; k++) {
            let w = phase_weight(phase, k, j);
            for (var r = 0u; r < rows; r++) {
              dh[r] = fma(stagedGrad[r * K + k], w, dh[r]);
            }
          }
        }
        for (var r = 0u; r < rows; r++) {
          finish_phase(phase, t, input_step(t), b0 + r, j, dh[r]);
        }
      }
      storageBarrier();
      workgroupBarrier();
    }
  }
}

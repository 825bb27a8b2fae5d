// The persistent form of a forward step shader: the whole sequence in one dispatch, one
// workgroup a block of TB batch rows (H ≤ PERSIST_MAX_H). Batch rows never read each other's
// state, so the workgroups need no synchronisation with each other. Composed after
// activations.wgsl, step_prelude.wgsl and the cell's shader (withPersistentSteps,
// src/kernels/compose.ts); takes from the prelude Step, WG, TB, MAX_TB, input_step, and from the
// cell's shader:
//   fn staged_value_at(t: u32, b: u32, k: u32) -> f32   h[t-1]⊙recMask at (b, k)
//   fn weight_row(k: u32, j: u32) -> vec4f               row k of the recurrent kernel at unit j
//   fn cell_inputs(t: u32, b: u32, j: u32) -> vec4f      the input projection's part at (t, b, j)
//   fn finish_cell(t: u32, tIn: u32, b: u32, j: u32, z: vec4f)   the cell update from z
// The recurrent sum runs in ascending k with fma from cell_inputs, as staged_matvec: the result
// equals the per-step form's `main` to the bit.

override PERSIST_MAX_H: u32 = 256u; // the most units the workgroup takes

var<workgroup> stagedH: array<f32, TB * PERSIST_MAX_H>; // h[t-1]⊙recMask [rows, H] of the current step

// Dispatch: (ceil(B / TB)); workgroup WG invocations. Workgroup w runs batch rows
// w·TB … w·TB + rows − 1 through steps t = 0 … T-1 in a loop: h[t-1]⊙recMask staged in
// workgroup memory, the recurrent kernel read from storage each step. Invocation lid owns units
// j ≡ lid (mod WG) of every row, so a unit's state stays with one invocation; a storage barrier
// makes step t's h visible to the workgroup before step t+1 reads it.
@compute @workgroup_size(WG)
fn main_persistent(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let H = s.H;
  let b0 = wg.x * TB;
  let rows = min(TB, s.B - b0);
  let RH = rows * H;
  for (var t = 0u; t < s.T; t++) {
    for (var e = lid.x; e < RH; e += WG) {
      stagedH[e] = staged_value_at(t, b0 + e / H, e % H);
    }
    workgroupBarrier();
    for (var j = lid.x; j < H; j += WG) {
      var acc: array<vec4f, MAX_TB>;
      for (var r = 0u; r < rows; r++) {
        acc[r] = cell_inputs(t, b0 + r, j);
      }
      for (var k = 0u; k < H; k++) {
        let wv = weight_row(k, j);
        for (var r = 0u; r < rows; r++) {
          acc[r] = fma(vec4f(stagedH[r * H + k]), wv, acc[r]);
        }
      }
      for (var r = 0u; r < rows; r++) {
        finish_cell(t, input_step(t), b0 + r, j, acc[r]);
      }
    }
    storageBarrier();
    workgroupBarrier();
  }
}

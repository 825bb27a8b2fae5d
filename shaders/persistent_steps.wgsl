// The persistent form of a forward step shader: the whole sequence in one dispatch, one
// workgroup a block of TB batch rows (H ≤ PERSIST_MAX_H). Batch rows never read each other's
// state, so the workgroups need no synchronisation with each other. Composed after
// activations.wgsl, step_prelude.wgsl and the cell's shader (withPersistentSteps,
// src/kernels/compose.ts); takes from the prelude Step, WG, TB, MAX_TB, input_step, and from the
// cell's shader a step as forward_phases() phases (GRU reset before: gates, then candidate),
// each a mat-vec of a staged [rows, H] vector and an update, the phase in `step_phase`:
//   fn forward_phases() -> u32                           phases a step
//   fn staged_value_at(t: u32, b: u32, k: u32) -> f32   the staged vector at (b, k): h[t-1]⊙recMask
//   fn weight_row(k: u32, j: u32) -> vec4f               row k of the recurrent kernel at unit j
//   fn cell_inputs(t: u32, b: u32, j: u32) -> vec4f      the input projection's part at (t, b, j)
//   fn finish_cell(t: u32, tIn: u32, b: u32, j: u32, z: vec4f)   the phase's update from z
// The recurrent sum runs in ascending k with fma from cell_inputs, as staged_matvec: the result
// equals the per-step form's `main` to the bit.

// The phase this invocation runs: main_persistent sets it for each phase; a multi-phase cell's
// per-step `main` sets it from its PHASE override.
var<private> step_phase: u32;

override PERSIST_MAX_H: u32 = 256u; // the most units the workgroup takes

var<workgroup> stagedH: array<f32, TB * PERSIST_MAX_H>; // h[t-1]⊙recMask [rows, H] of the current step

// Dispatch: (ceil(B / TB)); workgroup WG invocations. Workgroup w runs batch rows
// w·TB … w·TB + rows − 1 through steps t = 0 … T-1 in a loop: each phase's vector staged in
// workgroup memory, the recurrent kernel read from storage each step. Invocation lid owns units
// j ≡ lid (mod WG) of every row, so a unit's state stays with one invocation; a storage barrier
// makes a phase's writes visible to the workgroup before the next phase or step reads them.
@compute @workgroup_size(WG)
fn main_persistent(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let H = s.H;
  let b0 = wg.x * TB;
  let rows = min(TB, s.B - b0);
  let RH = rows * H;
  let phases = forward_phases();
  for (var t = 0u; t < s.T; t++) {
    for (var phase = 0u; phase < phases; phase++) {
      step_phase = phase;
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
}

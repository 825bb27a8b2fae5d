// The per-step entry point `main` of the three forward step shaders (LSTM, GRU, SimpleRNN):
// one dispatch a step. Composed after activations.wgsl, step_prelude.wgsl and the cell's shader
// (withForwardSteps, src/kernels/compose.ts); takes Step, WG, TB, MAX_TB and staged_matvec from
// the prelude, step_phase from persistent_steps.wgsl, and from the cell's shader the hooks that
// persistent_steps.wgsl also calls:
//   fn cell_inputs(t: u32, b: u32, j: u32) -> vec4f      the input projection's part at (t, b, j)
//   fn finish_cell(t: u32, tIn: u32, b: u32, j: u32, z: vec4f)   the phase's update from z
// with staged_value and weight_row for staged_matvec.

// The phase this dispatch runs (a multi-phase cell, e.g. the GRU with reset before, dispatches
// each phase of a step with its own PHASE); 0 for single-phase cells.
override PHASE: u32 = 0;

// Dispatch: (ceil(H / WG), ceil(B / TB)); workgroup WG invocations. Invocation lid computes unit
// j = wg.x·WG + lid.x for batch rows b0 … b0+TB-1 (b0 = wg.y·TB): the sums start from
// cell_inputs, staged_matvec adds the recurrent part, finish_cell updates the state.
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let B = s.B;
  let H = s.H;
  step_phase = PHASE;
  let j = wg.x * WG + lid.x;
  let b0 = wg.y * TB;

  var acc: array<vec4f, MAX_TB>;
  if (j < H) {
    for (var r = 0u; r < TB; r++) {
      let b = b0 + r;
      if (b < B) {
        acc[r] = cell_inputs(s.t, b, j);
      }
    }
  }
  acc = staged_matvec(acc, H, j, b0, lid.x);

  if (j >= H) {
    return;
  }
  for (var r = 0u; r < TB; r++) {
    let b = b0 + r;
    if (b >= B) {
      break;
    }
    finish_cell(s.t, s.tIn, b, j, acc[r]);
  }
}

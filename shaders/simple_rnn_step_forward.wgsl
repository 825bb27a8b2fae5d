// Fused SimpleRNN forward step t, one dispatch a step:
//   h[t] = act(G[t] + h[t-1]·U)      (G = X·W + b, from the GEMM over all steps)
// (act is ACTIVATION, an id of activations.wgsl.) Training keeps nothing more: the backward
// takes act' from h[t] itself (a function of the output), and hseq already holds every h[t];
// except for gelu and swish (needs_input), whose training forward (KEEP_PRE) writes each step's
// pre-activation back into G for the backward.
//
// Bindings (group 0):
//   @binding(0) G     read_write  [T, B, H]   time-major pre-activations of the input projection;
//                                 KEEP_PRE: step t writes G[t] + h[t-1]·U back into G[t]
//   @binding(1) U     read        [H, H]      recurrent kernel, Keras layout
//   @binding(2) hseq  read_write  [T+1, B, H] slot 0 = h0; step t reads slot t, writes slot t+1
//   @binding(3) mask  read        MASKED: [B, T] f32 1/0 batch-major, column s.tIn (the input step
//                                 read); a step with 0 keeps h (h[t] = h[t-1]); otherwise unused
//   @binding(4) s     uniform     Step, bound with a dynamic offset: one 256-byte slot a step
//   @binding(5) recMask read      REC_DROPOUT: [B, H] multipliers of h[t-1] in the recurrent
//                                 matmul (Keras recurrentDropout, the same every step); otherwise unused
// Entry point `main` (forward_steps.wgsl): dispatch (ceil(H / WG), ceil(B / TB)); workgroup WG invocations.
// One invocation computes unit j = wg.x·WG + lid.x for TB batch rows. Per K-slice of WG, the
// workgroup stages TB rows of h[t-1] in shared memory; each U element read serves TB rows.
// U reads are coalesced in j.
// Entry point `main_persistent` (persistent_steps.wgsl) for B ≤ TB, H ≤ PERSIST_MAX_H: one
// dispatch of one workgroup for all T steps.
//
// Composed after activations.wgsl and step_prelude.wgsl (stepShaderSource, src/kernels/compose.ts):
// takes struct Step, WG, TB, MAX_TB, ACTIVATION, MASKED, REC_DROPOUT, mask_index, staged_matvec
// and activate from them; defines staged_value and weight_row for staged_matvec, and
// cell_inputs and finish_cell for forward_steps.wgsl (`main`, PHASE) and, with forward_phases and
// staged_value_at, for persistent_steps.wgsl (`main_persistent`, step_phase), composed after it.

override KEEP_PRE: bool = false; // training with gelu or swish: G[t] is overwritten with z[t] for the backward

@group(0) @binding(0) var<storage, read_write> G: array<f32>;
@group(0) @binding(1) var<storage, read> U: array<f32>;
@group(0) @binding(2) var<storage, read_write> hseq: array<f32>;
@group(0) @binding(3) var<storage, read> mask: array<f32>;
@group(0) @binding(4) var<uniform> s: Step;
@group(0) @binding(5) var<storage, read> recMask: array<f32>;

// staged_matvec's vector: h[t-1]⊙recMask (slot t of hseq).
fn staged_value(b: u32, k: u32) -> f32 {
  return staged_value_at(s.t, b, k);
}

fn staged_value_at(t: u32, b: u32, k: u32) -> f32 {
  let v = hseq[(t * s.B + b) * s.H + k];
  if (REC_DROPOUT) {
    return v * recMask[b * s.H + k];
  }
  return v;
}

// Row k of U at unit j (one column).
fn weight_row(k: u32, j: u32) -> vec4f {
  return vec4f(U[k * s.H + j], 0.0, 0.0, 0.0);
}

// The recurrent sum starts from 0; finish_cell adds G (as `main` always has).
fn cell_inputs(t: u32, b: u32, j: u32) -> vec4f {
  return vec4f(0.0);
}

// h[t] at (b, j) from the recurrent sum z.x; a masked step (input step tIn) keeps h[t-1].
fn finish_cell(t: u32, tIn: u32, b: u32, j: u32, z: vec4f) {
  let B = s.B;
  let at = (t * B + b) * s.H + j;
  if (MASKED && mask[mask_index_at(b, tIn)] == 0.0) {
    hseq[at + B * s.H] = hseq[at];
    return;
  }
  let pre = G[at] + z.x;
  if (KEEP_PRE) {
    G[at] = pre;
  }
  hseq[at + B * s.H] = activate(ACTIVATION, pre);
}

// persistent_steps.wgsl: one phase a step.
fn forward_phases() -> u32 {
  return 1u;
}

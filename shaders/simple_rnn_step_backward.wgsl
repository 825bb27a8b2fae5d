// Fused SimpleRNN backward step t (backpropagation through time, t = T-1 … 0):
//   dh     = dY[t] + (dG[t+1]·Uᵀ)⊙m       (the recurrent part is 0 at t = T-1; m = recMask or 1)
//   dG[t]  = dh⊙act'(h[t])                 (pre-activation gradient; act' from the output h[t],
//                                           or for gelu and swish from the kept pre-activation)
//
// Bindings (group 0):
//   @binding(0) dG    read_write  [T, B, H]   step t reads slice t+1, writes slice t
//   @binding(1) UT    read        [H, H]      the recurrent kernel transposed (coalesced in j)
//   @binding(2) dY    read        DY_SEQ: [T, B, H] time-major; otherwise [B, H], used at t = T-1
//   @binding(3) hseq  read        [T+1, B, H] the forward's states, slot 0 = h0
//   @binding(4) mask  read        MASKED: [B, T] f32 1/0 batch-major, the column of the input step; otherwise unused
//   @binding(5) carry read_write  MASKED: [B, H] the dh carried through masked steps (zeros
//                                 in; out: the part of dh0 not in dG[0]·Uᵀ); otherwise unused
//   @binding(6) s     uniform     Step (dynamic offset, one 256-byte slot a step)
//   @binding(7) recMask read      REC_DROPOUT: [B, H] the forward's multipliers of h[t-1] in the
//                                 recurrent matmul; otherwise unused
//   @binding(8) pre   read        gelu, swish (needs_input): [T, B, H] the forward's pre-activations
//                                 (KEEP_PRE); otherwise unused
// Masked step (mask 0): dG[t] = 0 and its whole dh is carried to step t-1; an unmasked step
// adds the carried dh to its dh and zeros it.
// Entry points (backward_steps.wgsl): `main`, one dispatch a step, and `main_persistent`, the
// whole sequence in one dispatch (where runsPersistent, src/kernels/steps.ts).
//
// Composed between step_prelude.wgsl and backward_steps.wgsl (stepShaderSource,
// withBackwardSteps, src/kernels/compose.ts): takes struct Step, MASKED, mask_index_at,
// activate_grad_from_output, activate_grad_from_input, needs_input and incoming_dh from them; defines grad_width, grad_value_at,
// weight_row and finish_cell_backward for backward_steps.wgsl.

@group(0) @binding(0) var<storage, read_write> dG: array<f32>;
@group(0) @binding(1) var<storage, read> UT: array<f32>;
@group(0) @binding(2) var<storage, read> dY: array<f32>;
@group(0) @binding(3) var<storage, read> hseq: array<f32>;
@group(0) @binding(4) var<storage, read> mask: array<f32>;
@group(0) @binding(5) var<storage, read_write> carry: array<f32>;
@group(0) @binding(6) var<uniform> s: Step;
@group(0) @binding(7) var<storage, read> recMask: array<f32>;
@group(0) @binding(8) var<storage, read> pre: array<f32>;

// A dG row: H units' pre-activation gradients.
fn grad_width() -> u32 {
  return s.H;
}

fn grad_value_at(t: u32, b: u32, k: u32) -> f32 {
  return dG[(t * s.B + b) * s.H + k];
}

// Row k of UT at unit j (one column).
fn weight_row(k: u32, j: u32) -> vec4f {
  return vec4f(UT[k * s.H + j], 0.0, 0.0, 0.0);
}

fn finish_cell_backward(t: u32, tIn: u32, b: u32, j: u32, recurrent: f32) {
  let B = s.B;
  let H = s.H;
  var dhr = incoming_dh(t, b, j, recurrent);
  let at = (t * B + b) * H + j;
  if (MASKED) {
    dhr += carry[b * H + j];
    if (mask[mask_index_at(b, tIn)] == 0.0) {
      dG[at] = 0.0;
      carry[b * H + j] = dhr;
      return;
    }
    carry[b * H + j] = 0.0;
  }
  if (needs_input(ACTIVATION)) {
    dG[at] = dhr * activate_grad_from_input(ACTIVATION, pre[at]);
  } else {
    dG[at] = dhr * activate_grad_from_output(ACTIVATION, hseq[at + B * H]);
  }
}

// Fused LSTM backward step t (backpropagation through time, t = T-1 … 0):
//   dh     = dY[t] + (dG[t+1]·Whᵀ)⊙m      (the recurrent part is 0 at t = T-1; m = recMask or 1)
//   dc     = dc[t+1] + dh⊙o⊙act'(c[t])
//   dG[t]  = (dc⊙g⊙σ'(i), dc⊙c[t-1]⊙σ'(f), dc⊙i⊙act'(g), dh⊙act(c[t])⊙σ'(o))   pre-activation
//   dc[t]  = dc⊙f                          (carried to step t-1, in place)
// Derivatives come from the kept activations (σ' = RECURRENT_ACTIVATION', act' = ACTIVATION').
//
// Bindings (group 0):
//   @binding(0) dG    read_write  [T, B, 4H]  step t reads slice t+1, writes slice t
//   @binding(1) WhT   read        [4H, H]     the recurrent kernel transposed (coalesced in j)
//   @binding(2) dY    read        DY_SEQ: [T, B, H] time-major; otherwise [B, H], used at t = T-1
//   @binding(3) acts  read        [T, B, 4H]  activated gates i, f, g, o from the forward
//   @binding(4) cseq  read        [T+1, B, H] cell states, slot 0 = c0
//   @binding(5) dc    read_write  [B, H]      dc[t+1] in, dc[t] out (holds dc_T before t = T-1);
//                                 MASKED: [2, B, H], the second half the carried dh (the
//                                 gradient of h[t] passed through masked steps, zeros at first)
//   @binding(6) mask  read        MASKED: [B, T] f32 1/0 (column s.tIn); otherwise unused
//   @binding(7) s     uniform     Step (dynamic offset, one 256-byte slot a step)
//   @binding(8) recMask read      REC_DROPOUT: [B, H] the forward's multipliers of h[t-1] in the
//                                 recurrent matmul; otherwise unused
// Masked step (mask 0): dG[t] = 0, dc passes through unchanged, and the whole dh (dY[t] plus
// what came from later steps) is carried to step t-1 in the dh half of `dc`. An unmasked step
// adds the carried dh to its dh and zeros it.
// Entry points (backward_steps.wgsl): `main`, one dispatch a step, and `main_persistent`, the
// whole sequence in one dispatch (where runsPersistent, src/kernels/steps.ts).
//
// Composed between step_prelude.wgsl and backward_steps.wgsl (stepShaderSource,
// withBackwardSteps, src/kernels/compose.ts): takes struct Step, MASKED, mask_index_at,
// activate, kept_activation, from_kept and incoming_dh from them; defines grad_width,
// grad_value_at, weight_row and finish_cell_backward for backward_steps.wgsl.

override RECURRENT_ACTIVATION: u32 = 1;

@group(0) @binding(0) var<storage, read_write> dG: array<f32>;
@group(0) @binding(1) var<storage, read> WhT: array<f32>;
@group(0) @binding(2) var<storage, read> dY: array<f32>;
@group(0) @binding(3) var<storage, read> acts: array<f32>;
@group(0) @binding(4) var<storage, read> cseq: array<f32>;
@group(0) @binding(5) var<storage, read_write> dc: array<f32>;
@group(0) @binding(6) var<storage, read> mask: array<f32>;
@group(0) @binding(7) var<uniform> s: Step;
@group(0) @binding(8) var<storage, read> recMask: array<f32>;

// A dG row: the four gates' pre-activation gradients of H units.
fn grad_width() -> u32 {
  return 4u * s.H;
}

fn grad_value_at(t: u32, b: u32, k: u32) -> f32 {
  return dG[(t * s.B + b) * 4u * s.H + k];
}

// Row k of WhT at unit j (one column).
fn weight_row(k: u32, j: u32) -> vec4f {
  return vec4f(WhT[k * s.H + j], 0.0, 0.0, 0.0);
}

fn finish_cell_backward(t: u32, tIn: u32, b: u32, j: u32, recurrent: f32) {
  let B = s.B;
  let H = s.H;
  let H4 = 4u * H;
  var dhr = incoming_dh(t, b, j, recurrent);
  let a = (t * B + b) * H4 + j;
  if (MASKED) {
    let carried = B * H + b * H + j;
    dhr += dc[carried];
    if (mask[mask_index_at(b, tIn)] == 0.0) {
      dG[a] = 0.0;
      dG[a + H] = 0.0;
      dG[a + 2u * H] = 0.0;
      dG[a + 3u * H] = 0.0;
      dc[carried] = dhr;
      return;
    }
    dc[carried] = 0.0;
  }
  // Each gate's value and derivative from what the forward kept (kept_activation).
  let i = from_kept(RECURRENT_ACTIVATION, acts[a]);
  let f = from_kept(RECURRENT_ACTIVATION, acts[a + H]);
  let g = from_kept(ACTIVATION, acts[a + 2u * H]);
  let o = from_kept(RECURRENT_ACTIVATION, acts[a + 3u * H]);
  let c = cseq[((t + 1u) * B + b) * H + j];
  let cPrev = cseq[(t * B + b) * H + j];
  let tc = from_kept(ACTIVATION, kept_activation(ACTIVATION, c, activate(ACTIVATION, c)));
  let dcr = dc[b * H + j] + dhr * o.x * tc.y;
  dG[a] = dcr * g.x * i.y;
  dG[a + H] = dcr * cPrev * f.y;
  dG[a + 2u * H] = dcr * i.x * g.y;
  dG[a + 3u * H] = dhr * tc.x * o.y;
  dc[b * H + j] = dcr * f.x;
}

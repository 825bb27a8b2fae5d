// Fused LSTM forward step t (Keras gate order i, f, c, o):
//   z = G[t] + h[t-1]·Wh            (G = X·Wx + b, from the GEMM over all steps)
//   i = σ(z_i), f = σ(z_f), g = act(z_c), o = σ(z_o)
//   c[t] = f⊙c[t-1] + i⊙g,  h[t] = o⊙act(c[t])
// (σ is RECURRENT_ACTIVATION, act is ACTIVATION; ids as in activations.wgsl.)
//
// Bindings (group 0):
//   @binding(0) G     read        [T, B, 4H]  time-major gate pre-activations
//   @binding(1) Wh    read        [H, 4H]     recurrent kernel, Keras layout
//   @binding(2) hseq  read_write  [T+1, B, H] slot 0 = h0; step t reads slot t, writes slot t+1
//   @binding(3) cseq  read_write  KEEP: [T+1, B, H], slot 0 = c0, step t writes slot t+1;
//                                 otherwise [B, H], updated in place
//   @binding(4) acts  read_write  KEEP: [T, B, 4H] activated gates i, f, g, o for the backward
//                                 pass (a gelu or swish gate: its pre-activation); otherwise unused
//   @binding(5) mask  read        MASKED: [B, T] f32 1/0 batch-major, indexed by the input step
//                                 the layer reads (s.tIn: t, or T-1-t with goBackwards); a step
//                                 with mask 0 keeps h and c (h[t] = h[t-1], c[t] = c[t-1]) and
//                                 writes zero acts; otherwise unused
//   @binding(6) s     uniform     Step, bound with a dynamic offset: one 256-byte slot a step
//   @binding(7) recMask read      REC_DROPOUT: [B, H] multipliers of h[t-1] in the recurrent
//                                 matmul (Keras recurrentDropout: 0 or 1/(1-rate), the same every
//                                 step); otherwise unused
// Entry point `main` (forward_steps.wgsl), for batches of more than a few rows:
//   Dispatch: (ceil(H / WG), ceil(B / TB)); workgroup WG invocations.
//   One invocation computes unit j = wg.x·WG + lid.x for TB batch rows: all four gates, so the
//   whole cell update happens in registers. Per K-slice of WG, the workgroup stages TB rows of
//   h[t-1] in shared memory; each Wh element read serves TB rows. Wh reads are coalesced in j.
// Entry point `main_split_k`, where `main` would launch too few workgroups for a GPU (fewer
// than MIN_STEP_WORKGROUPS, src/kernels/lstmStepForward.ts; 32 at B = 32, H = 256):
//   Dispatch: (ceil(H / SPLIT_UNITS), ceil(B / TB)); workgroup WG invocations.
//   A workgroup computes SPLIT_UNITS consecutive units; invocation lid = lane·SPLIT_UNITS + u
//   sums unit u's gates over k ≡ lane (mod WG / SPLIT_UNITS), so each row k of Wh is read as
//   SPLIT_UNITS consecutive floats (a 32-byte sector at 8). The lanes' partial sums are reduced
//   in shared memory, and lane r does the cell update of batch row r.
// Entry point `main_persistent` (persistent_steps.wgsl), for small shapes (B ≤ TB, H ≤
// PERSIST_MAX_H), where a GPU would spend the step launches idle: one dispatch of one
// workgroup runs all T steps.
//
// Composed after activations.wgsl and step_prelude.wgsl (stepShaderSource, src/kernels/compose.ts):
// takes struct Step, WG, TB, MAX_TB, ACTIVATION, MASKED, REC_DROPOUT, mask_index, staged_matvec
// and activate from them; defines staged_value and weight_row for staged_matvec, and
// cell_inputs and finish_cell for forward_steps.wgsl (`main`, PHASE) and, with forward_phases and
// staged_value_at, for persistent_steps.wgsl (`main_persistent`, step_phase), composed after it.

override RECURRENT_ACTIVATION: u32 = 1;
override KEEP: bool = false;
override SPLIT_UNITS: u32 = 8u; // main_split_k: units a workgroup; WG / SPLIT_UNITS lanes each

@group(0) @binding(0) var<storage, read> G: array<f32>;
@group(0) @binding(1) var<storage, read> Wh: array<f32>;
@group(0) @binding(2) var<storage, read_write> hseq: array<f32>;
@group(0) @binding(3) var<storage, read_write> cseq: array<f32>;
@group(0) @binding(4) var<storage, read_write> acts: array<f32>;
@group(0) @binding(5) var<storage, read> mask: array<f32>;
@group(0) @binding(6) var<uniform> s: Step;
@group(0) @binding(7) var<storage, read> recMask: array<f32>;

var<workgroup> partial: array<vec4f, TB * WG>; // main_split_k: [TB][WG] lanes' partial gate sums

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

// Row k of Wh at unit j: its i, f, c, o columns.
fn weight_row(k: u32, j: u32) -> vec4f {
  let H = s.H;
  let w = k * 4u * H + j;
  return vec4f(Wh[w], Wh[w + H], Wh[w + 2u * H], Wh[w + 3u * H]);
}

// G[t] at batch row b, unit j: its i, f, c, o pre-activations.
fn cell_inputs(t: u32, b: u32, j: u32) -> vec4f {
  let H = s.H;
  let g = (t * s.B + b) * 4u * H + j;
  return vec4f(G[g], G[g + H], G[g + 2u * H], G[g + 3u * H]);
}

// The cell update of unit j, batch row b at step t (input step tIn) from its gate pre-activations z.
fn finish_cell(t: u32, tIn: u32, b: u32, j: u32, z: vec4f) {
  let B = s.B;
  let H = s.H;
  let H4 = 4u * H;
  if (MASKED && mask[mask_index_at(b, tIn)] == 0.0) {
    // A masked step carries the state through unchanged (Keras).
    if (KEEP) {
      let cRead = (t * B + b) * H + j;
      cseq[cRead + B * H] = cseq[cRead];
      let a = (t * B + b) * H4 + j;
      acts[a] = 0.0;
      acts[a + H] = 0.0;
      acts[a + 2u * H] = 0.0;
      acts[a + 3u * H] = 0.0;
    }
    hseq[((t + 1u) * B + b) * H + j] = hseq[(t * B + b) * H + j];
    return;
  }
  let i = activate(RECURRENT_ACTIVATION, z.x);
  let f = activate(RECURRENT_ACTIVATION, z.y);
  let g = activate(ACTIVATION, z.z);
  let o = activate(RECURRENT_ACTIVATION, z.w);
  var cRead = b * H + j;
  var cWrite = cRead;
  if (KEEP) {
    cRead = (t * B + b) * H + j;
    cWrite = cRead + B * H;
    let a = (t * B + b) * H4 + j;
    // The gates as the backward takes them: activated, or (gelu, swish) their pre-activations.
    acts[a] = kept_activation(RECURRENT_ACTIVATION, z.x, i);
    acts[a + H] = kept_activation(RECURRENT_ACTIVATION, z.y, f);
    acts[a + 2u * H] = kept_activation(ACTIVATION, z.z, g);
    acts[a + 3u * H] = kept_activation(RECURRENT_ACTIVATION, z.w, o);
  }
  let c = f * cseq[cRead] + i * g;
  cseq[cWrite] = c;
  hseq[((t + 1u) * B + b) * H + j] = o * activate(ACTIVATION, c);
}

@compute @workgroup_size(WG)
fn main_split_k(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let B = s.B;
  let H = s.H;
  let lanes = WG / SPLIT_UNITS;
  let lane = lid.x / SPLIT_UNITS;
  let u = lid.x - lane * SPLIT_UNITS;
  let j = wg.x * SPLIT_UNITS + u;
  let b0 = wg.y * TB;

  var acc: array<vec4f, MAX_TB>;
  if (j < H) {
    for (var k = lane; k < H; k += lanes) {
      let wv = weight_row(k, j);
      for (var r = 0u; r < TB; r++) {
        let b = b0 + r;
        if (b < B) {
          acc[r] = fma(vec4f(staged_value(b, k)), wv, acc[r]);
        }
      }
    }
  }
  for (var r = 0u; r < TB; r++) {
    partial[r * WG + lid.x] = acc[r];
  }
  workgroupBarrier();
  let b = b0 + lane;
  if (j >= H || lane >= TB || b >= B) {
    return;
  }
  var z = cell_inputs(s.t, b, j);
  for (var l = 0u; l < lanes; l++) {
    z += partial[lane * WG + l * SPLIT_UNITS + u];
  }
  finish_cell(s.t, s.tIn, b, j, z);
}

// persistent_steps.wgsl: one phase a step.
fn forward_phases() -> u32 {
  return 1u;
}

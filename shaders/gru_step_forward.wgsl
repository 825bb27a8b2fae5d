// Fused GRU forward step t (Keras gate order z, r, h; σ is RECURRENT_ACTIVATION, act is
// ACTIVATION, ids as in activations.wgsl):
//   a = G[t]                                (= X·W + b_in, from the GEMM over all steps)
//   RESET_AFTER (Keras 2 default, cuDNN / TF2 form): one dispatch a step, PHASE 0
//     m = h[t-1]·U + b_rec
//     z = σ(a_z + m_z),  r = σ(a_r + m_r),  n = act(a_h + r⊙m_h)
//   reset before (RESET_AFTER = false, the form TF.js has): n's matmul multiplies
//   q = r⊙h[t-1], which needs r of every unit of the step, so a step is two dispatches:
//     PHASE 0: z = σ(a_z + h[t-1]·U_z),  r = σ(a_r + h[t-1]·U_r),  q = r⊙h[t-1]
//     PHASE 1: n = act(a_h + q·U_h)
//     (together the same 3H·H multiply-adds a batch row as the fused form)
//   h[t] = z⊙h[t-1] + (1 − z)⊙n
//
// Bindings (group 0):
//   @binding(0) G     read        [T, B, 3H]  time-major input projection a
//   @binding(1) U     read        [H, 3H]     recurrent kernel, Keras layout
//   @binding(2) bias  read        [2, 3H]     Keras bias; row 1 (b_rec) read with RESET_AFTER and
//                                             HAS_BIAS only, otherwise unused
//   @binding(3) hseq  read_write  [T+1, B, H] slot 0 = h0; step t reads slot t, writes slot t+1
//   @binding(4) acts  read_write  KEEP: [T, B, 3H] z, r, n for the backward pass; otherwise
//                                 [B, 3H] (reset before: z from phase 0 to phase 1), or unused
//   @binding(5) aux   read_write  KEEP: [T, B, H], otherwise [B, H]: m_h with RESET_AFTER (kept
//                                 for the backward; unused otherwise), q = r⊙h[t-1] reset before
//   @binding(6) mask  read        MASKED: [B, T] f32 1/0 batch-major, column s.tIn (the input step
//                                 read); a step with 0 keeps h (h[t] = h[t-1]); otherwise unused
//   @binding(7) s     uniform     Step, bound with a dynamic offset: one 256-byte slot a step
//   @binding(8) recMask read      REC_DROPOUT: [B, H] multipliers m of h[t-1] (Keras / TF.js
//                                 recurrentDropout: the cell reads h[t-1]⊙m wherever it reads
//                                 h[t-1], matmul and h[t] = z⊙h[t-1] + …; a masked step still
//                                 carries the unmultiplied h); otherwise unused
// Entry point `main` (forward_steps.wgsl): dispatch (ceil(H / WG), ceil(B / TB)) per phase; workgroup WG invocations.
// One invocation computes unit j = wg.x·WG + lid.x for TB batch rows: its 3 gate columns
// (RESET_AFTER), z and r (phase 0) or h (phase 1). Per K-slice of WG, the workgroup stages TB
// rows of the multiplied vector (h[t-1] or q) in shared memory; each U element read serves TB
// rows. U reads are coalesced in j.
// Entry point `main_persistent` (persistent_steps.wgsl, where runsPersistent): one dispatch for
// all T steps (reset before: both phases of each, a storage barrier between them).
//
// Composed after activations.wgsl and step_prelude.wgsl (stepShaderSource, src/kernels/compose.ts):
// takes struct Step, WG, TB, MAX_TB, ACTIVATION, MASKED, REC_DROPOUT, mask_index, staged_matvec
// and activate from them; defines staged_value and weight_row for staged_matvec, and
// cell_inputs and finish_cell for forward_steps.wgsl (`main`, PHASE) and, with forward_phases and
// staged_value_at, for persistent_steps.wgsl (`main_persistent`, step_phase), composed after it.

override RECURRENT_ACTIVATION: u32 = 1;
override KEEP: bool = false;
override RESET_AFTER: bool = true;
override HAS_BIAS: bool = true;

@group(0) @binding(0) var<storage, read> G: array<f32>;
@group(0) @binding(1) var<storage, read> U: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> hseq: array<f32>;
@group(0) @binding(4) var<storage, read_write> acts: array<f32>;
@group(0) @binding(5) var<storage, read_write> aux: array<f32>;
@group(0) @binding(6) var<storage, read> mask: array<f32>;
@group(0) @binding(7) var<uniform> s: Step;
@group(0) @binding(8) var<storage, read> recMask: array<f32>;

// persistent_steps.wgsl: a step is one phase with RESET_AFTER, two without.
fn forward_phases() -> u32 {
  return select(2u, 1u, RESET_AFTER);
}

// Phase 1 (reset before) multiplies q; every other phase multiplies h[t-1].
fn candidate_phase() -> bool {
  return !RESET_AFTER && step_phase == 1u;
}

// staged_matvec's vector [B, H]: this step's q, or h[t-1]⊙m (slot t of hseq).
fn staged_value(b: u32, k: u32) -> f32 {
  return staged_value_at(s.t, b, k);
}

fn staged_value_at(t: u32, b: u32, k: u32) -> f32 {
  if (candidate_phase()) {
    return aux[(select(0u, t, KEEP) * s.B + b) * s.H + k];
  }
  let v = hseq[(t * s.B + b) * s.H + k];
  if (REC_DROPOUT) {
    return v * recMask[b * s.H + k];
  }
  return v;
}

// Row k of U at unit j: the z, r (and RESET_AFTER: h) columns, or phase 1's h column alone.
fn weight_row(k: u32, j: u32) -> vec4f {
  let H = s.H;
  let w = k * 3u * H + select(0u, 2u * H, candidate_phase()) + j;
  var wv = vec4f(U[w], 0.0, 0.0, 0.0);
  if (!candidate_phase()) {
    wv.y = U[w + H];
    if (RESET_AFTER) {
      wv.z = U[w + 2u * H];
    }
  }
  return wv;
}

// The recurrent sum starts from 0; finish_cell adds G (as `main` always has).
fn cell_inputs(t: u32, b: u32, j: u32) -> vec4f {
  return vec4f(0.0);
}

// The update of phase step_phase of unit j, batch row b at step t (input step tIn) from the recurrent sums
// acc (z, r, h columns, or phase 1's h column in acc.x).
fn finish_cell(t: u32, tIn: u32, b: u32, j: u32, acc: vec4f) {
  let B = s.B;
  let H = s.H;
  let H3 = 3u * H;
  let slot = select(0u, t, KEEP); // the acts / aux slot of this step
  let g = (t * B + b) * H3 + j;
  let a = (slot * B + b) * H3 + j;
  let x = (slot * B + b) * H + j;
  let hRaw = hseq[(t * B + b) * H + j];
  var hIn = hRaw;
  if (REC_DROPOUT) {
    hIn *= recMask[b * H + j];
  }
  let hOut = ((t + 1u) * B + b) * H + j;
  // A masked step carries h through (the last dispatch of the step writes it).
  if (MASKED && (RESET_AFTER || step_phase == 1u) && mask[mask_index_at(b, tIn)] == 0.0) {
    hseq[hOut] = hRaw;
    return;
  }
  if (RESET_AFTER) {
    var m = acc.xyz;
    if (HAS_BIAS) {
      m += vec3f(bias[H3 + j], bias[H3 + H + j], bias[H3 + 2u * H + j]);
    }
    let zPre = G[g] + m.x;
    let rPre = G[g + H] + m.y;
    let z = activate(RECURRENT_ACTIVATION, zPre);
    let rg = activate(RECURRENT_ACTIVATION, rPre);
    let nPre = G[g + 2u * H] + rg * m.z;
    let n = activate(ACTIVATION, nPre);
    if (KEEP) {
      // As the backward takes them: activated, or (gelu, swish) their pre-activations.
      acts[a] = kept_activation(RECURRENT_ACTIVATION, zPre, z);
      acts[a + H] = kept_activation(RECURRENT_ACTIVATION, rPre, rg);
      acts[a + 2u * H] = kept_activation(ACTIVATION, nPre, n);
      aux[x] = m.z;
    }
    hseq[hOut] = z * hIn + (1.0 - z) * n;
  } else if (step_phase == 0u) {
    let zPre = G[g] + acc.x;
    let rPre = G[g + H] + acc.y;
    let rg = activate(RECURRENT_ACTIVATION, rPre);
    acts[a] = kept_activation(RECURRENT_ACTIVATION, zPre, activate(RECURRENT_ACTIVATION, zPre));
    acts[a + H] = kept_activation(RECURRENT_ACTIVATION, rPre, rg);
    aux[x] = rg * hIn;
  } else {
    let z = from_kept(RECURRENT_ACTIVATION, acts[a]).x;
    let nPre = G[g + 2u * H] + acc.x;
    let n = activate(ACTIVATION, nPre);
    if (KEEP) {
      acts[a + 2u * H] = kept_activation(ACTIVATION, nPre, n);
    }
    hseq[hOut] = z * hIn + (1.0 - z) * n;
  }
}

// Fused GRU backward step t (backpropagation through time, t = T-1 … 0). With the kept z, r, n
// (acts), aux and h[t-1]:
//   dh  = dY[t] + carry + (the recurrent term from step t+1, below; 0 at t = T-1)
//   dz  = dh⊙(h[t-1] − n)⊙σ'(z),   dn = dh⊙(1 − z)⊙act'(n)        (pre-activation gradients)
//   RESET_AFTER, one dispatch a step (PHASE 0), aux = m_h:
//     recurrent term = dGm[t+1]·Uᵀ
//     dr = dn⊙m_h⊙σ'(r)
//     dG[t]  = (dz, dr, dn)        the gradient of a = G[t]  (for dW, db_in, dX)
//     dGm[t] = (dz, dr, dn⊙r)      the gradient of m = h[t-1]·U + b_rec  (for dU, db_rec, dh)
//     carry  = dh⊙z
//   reset before, two dispatches a step, aux = q = r⊙h[t-1] (dr needs dq = dn·U_hᵀ over every
//   unit of the same step):
//     PHASE 0: recurrent term = dG[t+1]_{z,r}·U_{z,r}ᵀ
//              writes dG[t]_z = dz, dG[t]_h = dn, dGm[t] = dn (dGh), carry = dh⊙z
//     PHASE 1: dq = dGh[t]·U_hᵀ;  dG[t]_r = dq⊙h[t-1]⊙σ'(r);  carry += dq⊙r
//   s.finalPass = 1 (PHASE 0, one more dispatch when the initial state's gradient is
//   wanted): carry = carry + the recurrent term from step 0 = dh0.
//   REC_DROPOUT: the forward read h' = h[t-1]⊙m everywhere, so h[t-1] above is h', and the
//   gradient a step passes back (recurrent term and carry) is that of h', times m: the
//   recurrent term is multiplied when it is read, the carry when it is written. A masked step
//   passes its dh on unmultiplied (its forward carried the raw h).
// Derivatives come from the kept activations (σ' = RECURRENT_ACTIVATION', act' = ACTIVATION').
//
// Bindings (group 0):
//   @binding(0) dG     read_write  [T, B, 3H]  gradient of a; reset before also of the matmuls
//   @binding(1) dGm    read_write  RESET_AFTER: [T, B, 3H] dGm; reset before: [T, B, H] dGh, the
//                                  h block of dG again, contiguous for phase 1 and the dU GEMM
//   @binding(2) UT     read        [3H, H]     the recurrent kernel transposed (coalesced in j)
//   @binding(3) dY     read        DY_SEQ: [T, B, H] time-major; otherwise [B, H], used at t = T-1
//   @binding(4) hseq   read        [T+1, B, H] the forward's states, slot 0 = h0
//   @binding(5) acts   read        [T, B, 3H]  z, r, n from the forward
//   @binding(6) aux    read        [T, B, H]   m_h (RESET_AFTER) or q (reset before)
//   @binding(7) carry  read_write  [B, H]      the part of dh[t-1] that is not the recurrent
//                                  term; holds zeros (or a returned h's gradient) before t = T-1.
//                                  MASKED: [B·H + B·T], the mask [B, T] (f32 1/0, column s.tIn)
//                                  packed after the carry (the stage has 8 storage buffers
//                                  already). A masked step writes zero gradients and carries
//                                  its whole dh to step t-1.
//                                  REC_DROPOUT: then the multipliers m [B, H] of the forward's
//                                  h[t-1], packed after (at B·H, or B·H + B·T when MASKED).
//   @binding(8) s      uniform     Step (dynamic offset, one 256-byte slot a dispatch)
// Entry point `main`: step s.t's phase PHASE (or the final pass). Dispatch: (ceil(H / WG),
// ceil(B / TB)); workgroup WG invocations; one invocation computes unit j for TB batch rows.
// Per K-slice of WG, the workgroup stages TB rows of the multiplied gradient in shared memory;
// each UT element read serves TB rows.
// Entry point `main_persistent` (persistent_backward.wgsl, where runsPersistent): every step
// and phase in one dispatch; the final pass stays a dispatch of `main`.
//
// Composed between step_prelude.wgsl and persistent_backward.wgsl (stepShaderSource,
// withPersistentBackward, src/kernels/compose.ts): takes struct Step, WG, TB, MAX_TB,
// ACTIVATION, MASKED, REC_DROPOUT, mask_index_at, staged_matvec, kept_activation and from_kept
// from them; defines staged_value and weight_row for staged_matvec, and the phase hooks of
// persistent_backward.wgsl.

override RECURRENT_ACTIVATION: u32 = 1;
override DY_SEQ: bool = true;
override RESET_AFTER: bool = true;
override PHASE: u32 = 0;

@group(0) @binding(0) var<storage, read_write> dG: array<f32>;
@group(0) @binding(1) var<storage, read_write> dGm: array<f32>;
@group(0) @binding(2) var<storage, read> UT: array<f32>;
@group(0) @binding(3) var<storage, read> dY: array<f32>;
@group(0) @binding(4) var<storage, read> hseq: array<f32>;
@group(0) @binding(5) var<storage, read> acts: array<f32>;
@group(0) @binding(6) var<storage, read> aux: array<f32>;
@group(0) @binding(7) var<storage, read_write> carry: array<f32>;
@group(0) @binding(8) var<uniform> s: Step;

fn phase1() -> bool {
  return !RESET_AFTER && PHASE == 1u;
}

// The source slice of `main`'s mat-vec: t+1, t in phase 1, 0 on the final pass (≥ T: none).
fn source_slice() -> u32 {
  if (s.finalPass != 0u) {
    return 0u;
  }
  return select(s.t + 1u, s.t, phase1());
}

// Element (b, k) of the multiplied gradient at `slice` in `phase`, [B, K] with row stride 3H
// (H in phase 1): reset before, phase 0 multiplies dG's z, r blocks; every other phase dGm
// (RESET_AFTER: all of it; phase 1: dGh).
fn source_at(phase: u32, slice: u32, b: u32, k: u32) -> f32 {
  let p1 = !RESET_AFTER && phase == 1u;
  let i = (slice * s.B + b) * select(3u * s.H, s.H, p1) + k;
  if (!RESET_AFTER && phase == 0u) {
    return dG[i];
  }
  return dGm[i];
}

// staged_matvec's vector.
fn staged_value(b: u32, k: u32) -> f32 {
  return source_at(PHASE, source_slice(), b, k);
}

// Row k of the multiplied block of UT at unit j (one column): rows 0… , or 2H… in phase 1.
fn weight_row(k: u32, j: u32) -> vec4f {
  return vec4f(phase_weight(PHASE, k, j), 0.0, 0.0, 0.0);
}

// persistent_backward.wgsl's hooks: a step is one phase with RESET_AFTER, two without.
fn backward_phases() -> u32 {
  return select(2u, 1u, RESET_AFTER);
}

// The width of the multiplied gradient: 3H, or 2H (z, r) in phase 0 and H in phase 1.
fn phase_width(phase: u32) -> u32 {
  if (RESET_AFTER) {
    return 3u * s.H;
  }
  return select(2u * s.H, s.H, phase == 1u);
}

fn phase_has_source(phase: u32, t: u32) -> bool {
  return (!RESET_AFTER && phase == 1u) || t + 1u < s.T;
}

fn phase_source(phase: u32, t: u32, b: u32, k: u32) -> f32 {
  return source_at(phase, select(t + 1u, t, !RESET_AFTER && phase == 1u), b, k);
}

fn phase_weight(phase: u32, k: u32, j: u32) -> f32 {
  return UT[(select(0u, 2u * s.H, !RESET_AFTER && phase == 1u) + k) * s.H + j];
}

// m of unit (b, j): the forward's multiplier of h[t-1] (1 without recurrent dropout).
fn rec_multiplier(b: u32, j: u32) -> f32 {
  if (REC_DROPOUT) {
    return carry[s.B * s.H + select(0u, s.B * s.T, MASKED) + b * s.H + j];
  }
  return 1.0;
}

// Step t's `phase` of (b, j) (input step tIn), given recurrent = the mat-vec of the source.
fn finish_phase(phase: u32, t: u32, tIn: u32, b: u32, j: u32, recurrent: f32) {
  let B = s.B;
  let H = s.H;
  let H3 = 3u * H;
  let c = b * H + j;
  let m = rec_multiplier(b, j);
  let g = (t * B + b) * H3 + j;
  let x = (t * B + b) * H + j;
  // Each gate's (value, derivative) from what the forward kept (kept_activation).
  let z = from_kept(RECURRENT_ACTIVATION, acts[g]);
  let rg = from_kept(RECURRENT_ACTIVATION, acts[g + H]);
  let hPrev = hseq[x] * m;
  let masked = MASKED && carry[B * H + mask_index_at(b, tIn)] == 0.0;
  if (!RESET_AFTER && phase == 1u) {
    if (masked) {
      dG[g + H] = 0.0;
      return;
    }
    let dq = recurrent;
    dG[g + H] = dq * hPrev * rg.y;
    carry[c] += dq * rg.x * m;
    return;
  }
  var dh = recurrent * m + carry[c];
  if (DY_SEQ) {
    dh += dY[x];
  } else if (t + 1u == s.T) {
    dh += dY[c];
  }
  if (masked) {
    dG[g] = 0.0;
    dG[g + H] = 0.0;
    dG[g + 2u * H] = 0.0;
    if (RESET_AFTER) {
      dGm[g] = 0.0;
      dGm[g + H] = 0.0;
      dGm[g + 2u * H] = 0.0;
    } else {
      dGm[x] = 0.0;
    }
    carry[c] = dh;
    return;
  }
  let n = from_kept(ACTIVATION, acts[g + 2u * H]);
  let dz = dh * (hPrev - n.x) * z.y;
  let dn = dh * (1.0 - z.x) * n.y;
  dG[g] = dz;
  dG[g + 2u * H] = dn;
  if (RESET_AFTER) {
    let dr = dn * aux[x] * rg.y;
    dG[g + H] = dr;
    dGm[g] = dz;
    dGm[g + H] = dr;
    dGm[g + 2u * H] = dn * rg.x;
  } else {
    dGm[x] = dn;
  }
  carry[c] = dh * z.x * m;
}

// Step s.t's phase PHASE, or the final pass (carry += (slice 0·Uᵀ)·m = dh0).
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let j = wg.x * WG + lid.x;
  let b0 = wg.y * TB;
  let isFinal = s.finalPass != 0u;
  var acc: array<vec4f, MAX_TB>;
  if (source_slice() < s.T) {
    acc = staged_matvec(acc, phase_width(PHASE), j, b0, lid.x);
  }
  if (j >= s.H) {
    return;
  }
  for (var r = 0u; r < TB; r++) {
    let b = b0 + r;
    if (b >= s.B) {
      break;
    }
    if (isFinal) {
      carry[b * s.H + j] += acc[r].x * rec_multiplier(b, j);
      continue;
    }
    finish_phase(PHASE, s.t, s.tIn, b, j, acc[r].x);
  }
}

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
//   FINAL (uniform flag, PHASE 0, one more dispatch when the initial state's gradient is
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
// Dispatch: (ceil(H / WG), ceil(B / TB)); workgroup WG invocations; one invocation computes
// unit j for TB batch rows. Per K-slice of WG, the workgroup stages TB rows of the multiplied
// gradient in shared memory; each UT element read serves TB rows.

struct Step {
  t: u32,
  B: u32,
  H: u32,
  T: u32,
  final_: u32,
  tIn: u32, // the input step read at processing step t (mask column)
  _pad1: u32,
  _pad2: u32,
}

override WG: u32 = 64;
override TB: u32 = 4;
override ACTIVATION: u32 = 0;
override RECURRENT_ACTIVATION: u32 = 1;
override DY_SEQ: bool = true;
override RESET_AFTER: bool = true;
override PHASE: u32 = 0;
override MASKED: bool = false;
override REC_DROPOUT: bool = false;

const MAX_TB: u32 = 8u;

@group(0) @binding(0) var<storage, read_write> dG: array<f32>;
@group(0) @binding(1) var<storage, read_write> dGm: array<f32>;
@group(0) @binding(2) var<storage, read> UT: array<f32>;
@group(0) @binding(3) var<storage, read> dY: array<f32>;
@group(0) @binding(4) var<storage, read> hseq: array<f32>;
@group(0) @binding(5) var<storage, read> acts: array<f32>;
@group(0) @binding(6) var<storage, read> aux: array<f32>;
@group(0) @binding(7) var<storage, read_write> carry: array<f32>;
@group(0) @binding(8) var<uniform> s: Step;

var<workgroup> tile: array<f32, TB * WG>; // [TB][WG]: gradient rows b0.., columns k0..k0+WG

// Reset before, phase 0 multiplies dG's z, r blocks; every other dispatch multiplies dGm
// (RESET_AFTER: all of dGm; phase 1: dGh).
fn source(i: u32) -> f32 {
  if (!RESET_AFTER && PHASE == 0u) {
    return dG[i];
  }
  return dGm[i];
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let t = s.t;
  let B = s.B;
  let H = s.H;
  let H3 = 3u * H;
  let j = wg.x * WG + lid.x;
  let b0 = wg.y * TB;
  let isFinal = s.final_ != 0u;
  let phase1 = !RESET_AFTER && PHASE == 1u;

  // The multiplied gradient: its slice, row stride, width K and first row of UT.
  var srcSlice = t + 1u;
  if (isFinal) {
    srcSlice = 0u;
  } else if (phase1) {
    srcSlice = t;
  }
  let stride = select(H3, H, phase1);
  let K = select(select(2u * H, H3, RESET_AFTER), H, phase1);
  let row0 = select(0u, 2u * H, phase1);
  let srcBase = srcSlice * B * stride;

  var acc: array<f32, MAX_TB>;
  if (srcSlice < s.T) {
    for (var k0 = 0u; k0 < K; k0 += WG) {
      let k = k0 + lid.x;
      for (var r = 0u; r < TB; r++) {
        let b = b0 + r;
        var v = 0.0;
        if (b < B && k < K) {
          v = source(srcBase + b * stride + k);
        }
        tile[r * WG + lid.x] = v;
      }
      workgroupBarrier();
      if (j < H) {
        let kEnd = min(WG, K - k0);
        for (var kk = 0u; kk < kEnd; kk++) {
          let w = UT[(row0 + k0 + kk) * H + j];
          for (var r = 0u; r < TB; r++) {
            acc[r] = fma(tile[r * WG + kk], w, acc[r]);
          }
        }
      }
      workgroupBarrier();
    }
  }

  if (j >= H) {
    return;
  }
  for (var r = 0u; r < TB; r++) {
    let b = b0 + r;
    if (b >= B) {
      break;
    }
    let c = b * H + j;
    // m of this unit (1 without recurrent dropout).
    var m = 1.0;
    if (REC_DROPOUT) {
      m = carry[B * H + select(0u, B * s.T, MASKED) + c];
    }
    if (isFinal) {
      carry[c] += acc[r] * m;
      continue;
    }
    let g = (t * B + b) * H3 + j;
    let x = (t * B + b) * H + j;
    let z = acts[g];
    let rg = acts[g + H];
    let hPrev = hseq[x] * m;
    let masked = MASKED && carry[B * H + b * s.T + s.tIn] == 0.0;
    if (phase1) {
      if (masked) {
        dG[g + H] = 0.0;
        continue;
      }
      let dq = acc[r];
      dG[g + H] = dq * hPrev * activate_grad_from_output(RECURRENT_ACTIVATION, rg);
      carry[c] += dq * rg * m;
      continue;
    }
    var dh = acc[r] * m + carry[c];
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
      continue;
    }
    let n = acts[g + 2u * H];
    let dz = dh * (hPrev - n) * activate_grad_from_output(RECURRENT_ACTIVATION, z);
    let dn = dh * (1.0 - z) * activate_grad_from_output(ACTIVATION, n);
    dG[g] = dz;
    dG[g + 2u * H] = dn;
    if (RESET_AFTER) {
      let dr = dn * aux[x] * activate_grad_from_output(RECURRENT_ACTIVATION, rg);
      dG[g + H] = dr;
      dGm[g] = dz;
      dGm[g + H] = dr;
      dGm[g + 2u * H] = dn * rg;
    } else {
      dGm[x] = dn;
    }
    carry[c] = dh * z * m;
  }
}

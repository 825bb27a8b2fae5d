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
// Dispatch: (ceil(H / WG), ceil(B / TB)) per phase; workgroup WG invocations.
// One invocation computes unit j = wg.x·WG + lid.x for TB batch rows: its 3 gate columns
// (RESET_AFTER), z and r (phase 0) or h (phase 1). Per K-slice of WG, the workgroup stages TB
// rows of the multiplied vector (h[t-1] or q) in shared memory; each U element read serves TB
// rows. U reads are coalesced in j.

struct Step {
  t: u32,
  B: u32,
  H: u32,
  tIn: u32, // the input step read at processing step t (mask column)
  T: u32,
  _p0: u32,
  _p1: u32,
  _p2: u32,
}

override WG: u32 = 64;
override TB: u32 = 4; // batch rows per invocation, 1 ≤ TB ≤ MAX_TB
override ACTIVATION: u32 = 0;
override RECURRENT_ACTIVATION: u32 = 1;
override KEEP: bool = false;
override RESET_AFTER: bool = true;
override HAS_BIAS: bool = true;
override PHASE: u32 = 0;
override MASKED: bool = false;
override REC_DROPOUT: bool = false;

const MAX_TB: u32 = 8u;

@group(0) @binding(0) var<storage, read> G: array<f32>;
@group(0) @binding(1) var<storage, read> U: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> hseq: array<f32>;
@group(0) @binding(4) var<storage, read_write> acts: array<f32>;
@group(0) @binding(5) var<storage, read_write> aux: array<f32>;
@group(0) @binding(6) var<storage, read> mask: array<f32>;
@group(0) @binding(7) var<uniform> s: Step;
@group(0) @binding(8) var<storage, read> recMask: array<f32>;

var<workgroup> tile: array<f32, TB * WG>; // [TB][WG]: rows b0.., columns k0..k0+WG

// Phase 1 (reset before) multiplies q; every other dispatch multiplies h[t-1].
fn candidate_phase() -> bool {
  return !RESET_AFTER && PHASE == 1u;
}

// Element (b, k) of the multiplied vector starting at `base`: q, or h[t-1]⊙m.
fn source(base: u32, b: u32, k: u32) -> f32 {
  let i = base + b * s.H + k;
  if (candidate_phase()) {
    return aux[i];
  }
  if (REC_DROPOUT) {
    return hseq[i] * recMask[b * s.H + k];
  }
  return hseq[i];
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let t = s.t;
  let B = s.B;
  let H = s.H;
  let H3 = 3u * H;
  let j = wg.x * WG + lid.x;
  let b0 = wg.y * TB;
  let slot = select(0u, t, KEEP); // the acts / aux slot of this step
  // The multiplied vector: slot t of hseq, or this step's q; the first U column multiplied.
  let srcBase = select(t * B * H, slot * B * H, candidate_phase());
  let col0 = select(0u, 2u * H, candidate_phase());

  var acc: array<vec3f, MAX_TB>;
  for (var k0 = 0u; k0 < H; k0 += WG) {
    let k = k0 + lid.x;
    for (var r = 0u; r < TB; r++) {
      let b = b0 + r;
      var v = 0.0;
      if (b < B && k < H) {
        v = source(srcBase, b, k);
      }
      tile[r * WG + lid.x] = v;
    }
    workgroupBarrier();
    if (j < H) {
      let kEnd = min(WG, H - k0);
      for (var kk = 0u; kk < kEnd; kk++) {
        let w = (k0 + kk) * H3 + col0 + j;
        var wv = vec3f(U[w], 0.0, 0.0);
        if (!candidate_phase()) {
          wv.y = U[w + H];
          if (RESET_AFTER) {
            wv.z = U[w + 2u * H];
          }
        }
        for (var r = 0u; r < TB; r++) {
          acc[r] = fma(vec3f(tile[r * WG + kk]), wv, acc[r]);
        }
      }
    }
    workgroupBarrier();
  }

  if (j >= H) {
    return;
  }
  for (var r = 0u; r < TB; r++) {
    let b = b0 + r;
    if (b >= B) {
      break;
    }
    let g = (t * B + b) * H3 + j;
    let a = (slot * B + b) * H3 + j;
    let x = (slot * B + b) * H + j;
    let hRaw = hseq[(t * B + b) * H + j];
    var hPrev = hRaw;
    if (REC_DROPOUT) {
      hPrev *= recMask[b * H + j];
    }
    let hOut = ((t + 1u) * B + b) * H + j;
    // A masked step carries h through (the last dispatch of the step writes it).
    if (MASKED && (RESET_AFTER || PHASE == 1u) && mask[b * s.T + s.tIn] == 0.0) {
      hseq[hOut] = hRaw;
      continue;
    }
    if (RESET_AFTER) {
      var m = acc[r];
      if (HAS_BIAS) {
        m += vec3f(bias[H3 + j], bias[H3 + H + j], bias[H3 + 2u * H + j]);
      }
      let z = activate(RECURRENT_ACTIVATION, G[g] + m.x);
      let rg = activate(RECURRENT_ACTIVATION, G[g + H] + m.y);
      let n = activate(ACTIVATION, G[g + 2u * H] + rg * m.z);
      if (KEEP) {
        acts[a] = z;
        acts[a + H] = rg;
        acts[a + 2u * H] = n;
        aux[x] = m.z;
      }
      hseq[hOut] = z * hPrev + (1.0 - z) * n;
    } else if (PHASE == 0u) {
      let z = activate(RECURRENT_ACTIVATION, G[g] + acc[r].x);
      let rg = activate(RECURRENT_ACTIVATION, G[g + H] + acc[r].y);
      acts[a] = z;
      acts[a + H] = rg;
      aux[x] = rg * hPrev;
    } else {
      let z = acts[a];
      let n = activate(ACTIVATION, G[g + 2u * H] + acc[r].x);
      if (KEEP) {
        acts[a + 2u * H] = n;
      }
      hseq[hOut] = z * hPrev + (1.0 - z) * n;
    }
  }
}

// Fused SimpleRNN forward step t, one dispatch a step:
//   h[t] = act(G[t] + h[t-1]·U)      (G = X·W + b, from the GEMM over all steps)
// (act is ACTIVATION, an id of activations.wgsl.) Training keeps nothing more: the backward
// takes act' from h[t] itself (every supported activation's derivative is a function of its
// output), and hseq already holds every h[t]. So one pipeline serves inference and training.
//
// Bindings (group 0):
//   @binding(0) G     read        [T, B, H]   time-major pre-activations of the input projection
//   @binding(1) U     read        [H, H]      recurrent kernel, Keras layout
//   @binding(2) hseq  read_write  [T+1, B, H] slot 0 = h0; step t reads slot t, writes slot t+1
//   @binding(3) mask  read        MASKED: [B, T] f32 1/0 batch-major, column s.tIn (the input step
//                                 read); a step with 0 keeps h (h[t] = h[t-1]); otherwise unused
//   @binding(4) s     uniform     Step, bound with a dynamic offset: one 256-byte slot a step
//   @binding(5) recMask read      REC_DROPOUT: [B, H] multipliers of h[t-1] in the recurrent
//                                 matmul (Keras recurrentDropout, the same every step); otherwise unused
// Dispatch: (ceil(H / WG), ceil(B / TB)); workgroup WG invocations.
// One invocation computes unit j = wg.x·WG + lid.x for TB batch rows. Per K-slice of WG, the
// workgroup stages TB rows of h[t-1] in shared memory; each U element read serves TB rows.
// U reads are coalesced in j.

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
override MASKED: bool = false;
override REC_DROPOUT: bool = false;

const MAX_TB: u32 = 8u;

@group(0) @binding(0) var<storage, read> G: array<f32>;
@group(0) @binding(1) var<storage, read> U: array<f32>;
@group(0) @binding(2) var<storage, read_write> hseq: array<f32>;
@group(0) @binding(3) var<storage, read> mask: array<f32>;
@group(0) @binding(4) var<uniform> s: Step;
@group(0) @binding(5) var<storage, read> recMask: array<f32>;

var<workgroup> hTile: array<f32, TB * WG>; // [TB][WG]: h[t-1] rows b0.., columns k0..k0+WG

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let t = s.t;
  let B = s.B;
  let H = s.H;
  let j = wg.x * WG + lid.x;
  let b0 = wg.y * TB;

  var acc: array<f32, MAX_TB>;
  let hPrev = t * B * H; // start of slot t of hseq
  for (var k0 = 0u; k0 < H; k0 += WG) {
    let k = k0 + lid.x;
    for (var r = 0u; r < TB; r++) {
      let b = b0 + r;
      var v = 0.0;
      if (b < B && k < H) {
        v = hseq[hPrev + b * H + k];
        if (REC_DROPOUT) {
          v *= recMask[b * H + k];
        }
      }
      hTile[r * WG + lid.x] = v;
    }
    workgroupBarrier();
    if (j < H) {
      let kEnd = min(WG, H - k0);
      for (var kk = 0u; kk < kEnd; kk++) {
        let w = U[(k0 + kk) * H + j];
        for (var r = 0u; r < TB; r++) {
          acc[r] = fma(hTile[r * WG + kk], w, acc[r]);
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
    let at = (t * B + b) * H + j;
    if (MASKED && mask[b * s.T + s.tIn] == 0.0) {
      hseq[at + B * H] = hseq[at];
      continue;
    }
    hseq[at + B * H] = activate(ACTIVATION, G[at] + acc[r]);
  }
}

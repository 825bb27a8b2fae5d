// Fused SimpleRNN backward step t (backpropagation through time, t = T-1 … 0), one dispatch a
// step:
//   dh     = dY[t] + (dG[t+1]·Uᵀ)⊙m       (the recurrent part is 0 at t = T-1; m = recMask or 1)
//   dG[t]  = dh⊙act'(h[t])                 (pre-activation gradient; act' from the output h[t])
//
// Bindings (group 0):
//   @binding(0) dG    read_write  [T, B, H]   step t reads slice t+1, writes slice t
//   @binding(1) UT    read        [H, H]      the recurrent kernel transposed (coalesced in j)
//   @binding(2) dY    read        DY_SEQ: [T, B, H] time-major; otherwise [B, H], used at t = T-1
//   @binding(3) hseq  read        [T+1, B, H] the forward's states, slot 0 = h0
//   @binding(4) mask  read        MASKED: [B, T] f32 1/0 batch-major, column s.tIn; otherwise unused
//   @binding(5) carry read_write  MASKED: [B, H] the dh carried through masked steps (zeros
//                                 in; out: the part of dh0 not in dG[0]·Uᵀ); otherwise unused
//   @binding(6) s     uniform     Step (dynamic offset, one 256-byte slot a step)
//   @binding(7) recMask read      REC_DROPOUT: [B, H] the forward's multipliers of h[t-1] in the
//                                 recurrent matmul; otherwise unused
// Masked step (mask 0): dG[t] = 0 and its whole dh is carried to step t-1; an unmasked step
// adds the carried dh to its dh and zeros it.
// Dispatch: (ceil(H / WG), ceil(B / TB)); workgroup WG invocations; one invocation computes
// unit j for TB batch rows. Per K-slice of WG, the workgroup stages TB rows of dG[t+1] in
// shared memory; each UT element read serves TB rows.

struct Step {
  t: u32,
  B: u32,
  H: u32,
  T: u32,
  tIn: u32, // the input step read at processing step t (mask column)
  _p0: u32,
  _p1: u32,
  _p2: u32,
}

override WG: u32 = 64;
override TB: u32 = 4;
override ACTIVATION: u32 = 0;
override DY_SEQ: bool = true;
override MASKED: bool = false;
override REC_DROPOUT: bool = false;

const MAX_TB: u32 = 8u;

@group(0) @binding(0) var<storage, read_write> dG: array<f32>;
@group(0) @binding(1) var<storage, read> UT: array<f32>;
@group(0) @binding(2) var<storage, read> dY: array<f32>;
@group(0) @binding(3) var<storage, read> hseq: array<f32>;
@group(0) @binding(4) var<storage, read> mask: array<f32>;
@group(0) @binding(5) var<storage, read_write> carry: array<f32>;
@group(0) @binding(6) var<uniform> s: Step;
@group(0) @binding(7) var<storage, read> recMask: array<f32>;

var<workgroup> gTile: array<f32, TB * WG>; // [TB][WG]: dG[t+1] rows b0.., columns k0..k0+WG

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let t = s.t;
  let B = s.B;
  let H = s.H;
  let j = wg.x * WG + lid.x;
  let b0 = wg.y * TB;

  var dh: array<f32, MAX_TB>;
  if (t + 1u < s.T) {
    let next = (t + 1u) * B * H;
    for (var k0 = 0u; k0 < H; k0 += WG) {
      let k = k0 + lid.x;
      for (var r = 0u; r < TB; r++) {
        let b = b0 + r;
        var v = 0.0;
        if (b < B && k < H) {
          v = dG[next + b * H + k];
        }
        gTile[r * WG + lid.x] = v;
      }
      workgroupBarrier();
      if (j < H) {
        let kEnd = min(WG, H - k0);
        for (var kk = 0u; kk < kEnd; kk++) {
          let w = UT[(k0 + kk) * H + j];
          for (var r = 0u; r < TB; r++) {
            dh[r] = fma(gTile[r * WG + kk], w, dh[r]);
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
    var dhr = dh[r];
    if (REC_DROPOUT) {
      dhr *= recMask[b * H + j];
    }
    if (DY_SEQ) {
      dhr += dY[(t * B + b) * H + j];
    } else if (t + 1u == s.T) {
      dhr += dY[b * H + j];
    }
    let at = (t * B + b) * H + j;
    if (MASKED) {
      dhr += carry[b * H + j];
      if (mask[b * s.T + s.tIn] == 0.0) {
        dG[at] = 0.0;
        carry[b * H + j] = dhr;
        continue;
      }
      carry[b * H + j] = 0.0;
    }
    dG[at] = dhr * activate_grad_from_output(ACTIVATION, hseq[at + B * H]);
  }
}

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
//
// Composed after activations.wgsl and step_prelude.wgsl (stepShaderSource, src/kernels/compose.ts):
// takes struct Step, WG, TB, MAX_TB, ACTIVATION, MASKED, REC_DROPOUT, mask_index, staged_matvec
// and activate_grad_from_output from them; defines staged_value and weight_row for
// staged_matvec.

override DY_SEQ: bool = true;

@group(0) @binding(0) var<storage, read_write> dG: array<f32>;
@group(0) @binding(1) var<storage, read> UT: array<f32>;
@group(0) @binding(2) var<storage, read> dY: array<f32>;
@group(0) @binding(3) var<storage, read> hseq: array<f32>;
@group(0) @binding(4) var<storage, read> mask: array<f32>;
@group(0) @binding(5) var<storage, read_write> carry: array<f32>;
@group(0) @binding(6) var<uniform> s: Step;
@group(0) @binding(7) var<storage, read> recMask: array<f32>;

// staged_matvec's vector: dG[t+1], [B, H].
fn staged_value(b: u32, k: u32) -> f32 {
  return dG[((s.t + 1u) * s.B + b) * s.H + k];
}

// Row k of UT at unit j (one column).
fn weight_row(k: u32, j: u32) -> vec4f {
  return vec4f(UT[k * s.H + j], 0.0, 0.0, 0.0);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let t = s.t;
  let B = s.B;
  let H = s.H;
  let j = wg.x * WG + lid.x;
  let b0 = wg.y * TB;

  var dh: array<vec4f, MAX_TB>;
  if (t + 1u < s.T) {
    dh = staged_matvec(dh, H, j, b0, lid.x);
  }

  if (j >= H) {
    return;
  }
  for (var r = 0u; r < TB; r++) {
    let b = b0 + r;
    if (b >= B) {
      break;
    }
    var dhr = dh[r].x;
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
      if (mask[mask_index(b)] == 0.0) {
        dG[at] = 0.0;
        carry[b * H + j] = dhr;
        continue;
      }
      carry[b * H + j] = 0.0;
    }
    dG[at] = dhr * activate_grad_from_output(ACTIVATION, hseq[at + B * H]);
  }
}

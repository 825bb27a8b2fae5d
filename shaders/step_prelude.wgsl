// Prelude of the six recurrent step shaders ({lstm,gru,simple_rnn}_step_{forward,backward}.wgsl).
// WGSL has no include: stepShaderSource (src/kernels/compose.ts) composes a step kernel's module
// as activations.wgsl + this file + the shader. No other shader may declare `struct Step`
// (test/kernels/shaderPrelude.test.ts).
//
// Declared here: struct Step, the overrides WG, TB, ACTIVATION, MASKED, REC_DROPOUT, the
// constant MAX_TB, the workgroup array `tile`, mask_index(_at), input_step and staged_matvec.
// Each shader declares, for the functions here:
//   var<uniform> s: Step                     at its own binding
//   fn staged_value(b: u32, k: u32) -> f32   element (b, k) of the multiplied vector [B, K]
//   fn weight_row(k: u32, j: u32) -> vec4f   row k of the weights at unit j: up to four gate
//                                            columns, the unused lanes 0

// One dispatch's uniforms, one 256-byte slot (STEP_SLOT) each in one buffer bound with a dynamic
// offset. packStep (src/kernels/steps.ts) writes them by field name in this order; the test
// checks the two orders agree.
struct Step {
  t: u32, // processing step, 0 … T-1 (the backward runs T-1 … 0)
  B: u32, // batch rows
  H: u32, // units
  T: u32, // steps of the sequence
  tIn: u32, // input step read at step t (mask column): t, or T-1-t with goBackwards
  finalPass: u32, // 1: the GRU backward's extra dispatch for dh0 (reads slice 0, writes carry only)
  reverse: u32, // 1 with goBackwards: tIn = T-1-t (a persistent kernel computes tIn itself)
  _pad0: u32, // pads Step to 32 bytes, the bound size (STEP_BYTES)
}

override WG: u32 = 64; // invocations a workgroup; the K-slice width of staged_matvec
override TB: u32 = 4; // batch rows per invocation, 1 ≤ TB ≤ MAX_TB
override ACTIVATION: u32 = 0; // an activation id of activations.wgsl
override MASKED: bool = false; // a [B, T] f32 1/0 mask is bound; column s.tIn is read
override REC_DROPOUT: bool = false; // [B, H] recurrent-dropout multipliers of h[t-1] are bound

const MAX_TB: u32 = 8u;

var<workgroup> tile: array<f32, TB * WG>; // [TB][WG]: rows b0.., columns k0..k0+WG of the vector

// Index of (row b, column tIn) in a [B, T] batch-major mask.
fn mask_index_at(b: u32, tIn: u32) -> u32 {
  return b * s.T + tIn;
}

// Index of (row b, column s.tIn) in a [B, T] batch-major mask.
fn mask_index(b: u32) -> u32 {
  return mask_index_at(b, s.tIn);
}

// The input step read at processing step t: t, or T-1-t with goBackwards.
fn input_step(t: u32) -> u32 {
  return select(t, s.T - 1u - t, s.reverse != 0u);
}

// acc[r] + Σ_{k < K} staged_value(b0 + r, k)·weight_row(k, j) for r < TB, accumulated with fma
// in ascending k from acc (unit j's row block b0 … b0+TB-1; rows b ≥ s.B contribute 0).
// Per K-slice of WG the workgroup stages TB rows of the vector in `tile`, so each weight_row
// read serves TB rows. Every invocation of the workgroup calls it with the same K (it has
// barriers); lane = local_invocation_id.x; acc comes back unchanged where j ≥ s.H.
fn staged_matvec(acc0: array<vec4f, MAX_TB>, K: u32, j: u32, b0: u32, lane: u32) -> array<vec4f, MAX_TB> {
  var acc = acc0;
  for (var k0 = 0u; k0 < K; k0 += WG) {
    let k = k0 + lane;
    for (var r = 0u; r < TB; r++) {
      let b = b0 + r;
      var v = 0.0;
      if (b < s.B && k < K) {
        v = staged_value(b, k);
      }
      tile[r * WG + lane] = v;
    }
    workgroupBarrier();
    if (j < s.H) {
      let kEnd = min(WG, K - k0);
      for (var kk = 0u; kk < kEnd; kk++) {
        let w = weight_row(k0 + kk, j);
        for (var r = 0u; r < TB; r++) {
          acc[r] = fma(vec4f(tile[r * WG + kk]), w, acc[r]);
        }
      }
    }
    workgroupBarrier();
  }
  return acc;
}

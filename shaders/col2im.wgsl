// col2im for a 1-D convolution: the input gradient gathered from the gradient of the im2col
// rows (the transpose of shaders/im2col.wgsl). Each input value sums the taps that read it,
// so every output element has one writer: no atomics.
//   dx[b, t, c] = Σ_k dcols[b·To + o, k·C + c]  over k with o = (t + PAD − k·DIL) / S whole, 0 ≤ o < To
// dx is written batch-major [B, T, C], or time-major [T, B, C] when OUT_TIME_MAJOR (the
// layout of the forward's input).
//
// Bindings (group 0):
//   @binding(0) dcols  read        [B·To, K·C]
//   @binding(1) dx     read_write  [B, T, C] (or [T, B, C]), overwritten
//   @binding(2) p      uniform     { B, T, C, To, K, S, PAD, DIL }
// Dispatch: (min(n, L), ceil(n / L)) workgroups of WG with n = ceil(B·T·C / WG) and L the
// per-dimension limit; one invocation sums ≤ K values into one dx.

struct Params {
  B: u32,
  T: u32,
  C: u32,
  To: u32,
  K: u32,
  S: u32,
  PAD: u32,
  DIL: u32,
}

override WG: u32 = 64;
override OUT_TIME_MAJOR: bool = false;

@group(0) @binding(0) var<storage, read> dcols: array<f32>;
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let e = (wid.y * nwg.x + wid.x) * WG + lid;
  if (e >= p.B * p.T * p.C) {
    return;
  }
  // e indexes dx in its own layout.
  let c = e % p.C;
  let r = e / p.C;
  var b = r / p.T;
  var t = r - b * p.T;
  if (OUT_TIME_MAJOR) {
    t = r / p.B;
    b = r - t * p.B;
  }
  let width = p.K * p.C;
  var sum = 0.0;
  for (var k = 0u; k < p.K; k++) {
    let num = i32(t + p.PAD) - i32(k * p.DIL);
    if (num < 0 || u32(num) % p.S != 0u) {
      continue;
    }
    let o = u32(num) / p.S;
    if (o < p.To) {
      sum += dcols[(b * p.To + o) * width + k * p.C + c];
    }
  }
  dx[e] = sum;
}

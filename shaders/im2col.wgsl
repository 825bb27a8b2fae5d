// im2col for a 1-D convolution (channels last): one row of taps per output step.
//   cols[b·To + o, k·C + c] = x[b, o·S − PAD + k·DIL, c], or 0 where that step is outside [0, T)
// x is batch-major [B, T, C], or time-major [T, B, C] when IN_TIME_MAJOR, from element xOffset.
// cols·W (W [K·C, F], the Keras kernel [K, C, F] flattened) is then the convolution.
//
// Bindings (group 0):
//   @binding(0) x     read        [B, T, C] (or [T, B, C])
//   @binding(1) cols  read_write  [B·To, K·C]
//   @binding(2) p     uniform     { B, T, C, To, K, S, PAD, xOffset, DIL }
// Dispatch: (min(n, L), ceil(n / L)) workgroups of WG with n = ceil(B·To·K·C / WG) and L the
// per-dimension limit; one invocation writes one value of cols.

struct Params {
  B: u32,
  T: u32,
  C: u32,
  To: u32,
  K: u32,
  S: u32,
  PAD: u32,
  xOffset: u32,
  DIL: u32,
  _pad1: u32,
  _pad2: u32,
  _pad3: u32,
}

override WG: u32 = 64;
override IN_TIME_MAJOR: bool = false;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> cols: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let e = (wid.y * nwg.x + wid.x) * WG + lid;
  let width = p.K * p.C;
  if (e >= p.B * p.To * width) {
    return;
  }
  let row = e / width;
  let kc = e - row * width;
  let b = row / p.To;
  let o = row - b * p.To;
  let k = kc / p.C;
  let c = kc - k * p.C;
  // t = o·S + k·DIL − PAD, in signed arithmetic: negative or ≥ T reads the zero padding.
  let t = i32(o * p.S + k * p.DIL) - i32(p.PAD);
  var v = 0.0;
  if (t >= 0 && u32(t) < p.T) {
    var at = (b * p.T + u32(t)) * p.C + c;
    if (IN_TIME_MAJOR) {
      at = (u32(t) * p.B + b) * p.C + c;
    }
    v = x[p.xOffset + at];
  }
  cols[e] = v;
}

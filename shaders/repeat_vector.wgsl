// RepeatVector, forward or (BACKWARD) backward:
//   forward:  y[b, t, f] = x[xOffset + b·F + f]         y batch-major [B, N, F]
//   backward: dx[b, f] = Σ_t dy[dyOffset + (b·N + t)·F + f]
//
// Bindings (group 0):
//   @binding(0) src  read        forward x [B, F] from p.srcOffset; backward dy [B, N, F] from p.srcOffset
//   @binding(1) out  read_write  forward y [B, N, F]; backward dx [B, F], overwritten
//   @binding(2) p    uniform     { B, N, F, srcOffset }
// Dispatch: (min(g, L), ceil(g / L)) workgroups of WG, g = ceil(elements of out / WG), L the
// per-dimension limit; one invocation a value of out (backward: a sum over the N steps).

struct Params {
  B: u32,
  N: u32,
  F: u32,
  srcOffset: u32,
}

override WG: u32 = 64;
override BACKWARD: bool = false;

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let e = (wid.y * nwg.x + wid.x) * WG + lid;
  if (!BACKWARD) {
    if (e >= p.B * p.N * p.F) {
      return;
    }
    let f = e % p.F;
    let b = e / (p.N * p.F);
    out[e] = src[p.srcOffset + b * p.F + f];
    return;
  }
  if (e >= p.B * p.F) {
    return;
  }
  let f = e % p.F;
  let b = e / p.F;
  var sum = 0.0;
  for (var t = 0u; t < p.N; t++) {
    sum += src[p.srcOffset + (b * p.N + t) * p.F + f];
  }
  out[e] = sum;
}

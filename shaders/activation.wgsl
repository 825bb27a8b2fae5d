// Elementwise activation (softmax is shaders/softmax.wgsl):
//   Y[e] = act(X[xOffset + e]), act = ACTIVATION, an id of activations.wgsl.
// The layout of X is kept: any rank, batch- or time-major alike.
//
// Bindings (group 0):
//   @binding(0) X  read        n elements from element p.xOffset
//   @binding(1) Y  read_write  n elements
//   @binding(2) p  uniform     { n, xOffset }
// Dispatch: (min(g, L), ceil(g / L)) workgroups of WG, g = ceil(n / WG), L the per-dimension
// limit; one invocation an element.

struct Params {
  n: u32,
  xOffset: u32,
}

override WG: u32 = 64;
override ACTIVATION: u32 = 4u;

@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let e = (wid.y * nwg.x + wid.x) * WG + lid;
  if (e >= p.n) {
    return;
  }
  Y[e] = activate(ACTIVATION, X[p.xOffset + e]);
}

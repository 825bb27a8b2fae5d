// Column sums: y[n] = Σ_r X[r, n] (+ y[n] when accumulating). Used for bias gradients.
//
// Bindings (group 0):
//   @binding(0) X  read        [R, N]
//   @binding(1) y  read_write  [N]
//   @binding(2) p  uniform     { R, N, accumulate }
// Dispatch: (ceil(N / WG), 1); one invocation sums one column; the invocations of a
// workgroup read consecutive columns of each row (coalesced).

struct Params {
  R: u32,
  N: u32,
  accumulate: u32,
  _pad: u32,
}

override WG: u32 = 64;

@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let n = id.x;
  if (n >= p.N) {
    return;
  }
  var sum = 0.0;
  for (var r = 0u; r < p.R; r++) {
    sum += X[r * p.N + n];
  }
  if (p.accumulate != 0u) {
    sum += y[n];
  }
  y[n] = sum;
}

// Global pooling over the steps of x [B, T, C] (channels last), forward or (BACKWARD) backward:
//   mean:  y[b, c] = Σ_t m[b, t]·x[b, t, c] / Σ_t m[b, t]     (m = 1 without MASKED; 0 where
//          every step is masked)
//          dx[b, t, c] = dy[b, c]·m[b, t] / Σ_t m[b, t]
//   MAX:   y[b, c] = max_t x[b, t, c]
//          dx[b, t, c] = dy[b, c] at the first t that reaches the max, else 0 (as MaxPooling1D;
//          TF's and JAX's reduce_max split the gradient among tied maxima, a measure-zero case)
// x and dx are batch-major [B, T, C], or time-major [T, B, C] when TIME_MAJOR; y and dy [B, C].
// One invocation a (b, c) in both directions: it walks the T steps (the backward finds the max
// again, so the forward keeps nothing); each dx element has one writer.
//
// Bindings (group 0):
//   @binding(0) x     read        [B, T, C] from element p.xOffset
//   @binding(1) dy    read        [B, C] (backward; unused forward)
//   @binding(2) mask  read        [B, T] of 1 / 0 (MASKED mean; unused otherwise)
//   @binding(3) out   read_write  forward y [B, C]; backward dx [B, T, C], overwritten
//   @binding(4) p     uniform     { B, T, C, xOffset }
// Dispatch: (min(g, L), ceil(g / L)) workgroups of WG, g = ceil(B·C / WG), L the per-dimension limit.

struct Params {
  B: u32,
  T: u32,
  C: u32,
  xOffset: u32,
}

override WG: u32 = 64;
override MAX: bool = false;
override BACKWARD: bool = false;
override TIME_MAJOR: bool = false;
override MASKED: bool = false;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> mask: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

/** Flat index of (b, t, c) of x or dx, in the layout. */
fn at(b: u32, t: u32, c: u32) -> u32 {
  if (TIME_MAJOR) {
    return (t * p.B + b) * p.C + c;
  }
  return (b * p.T + t) * p.C + c;
}

fn weight(b: u32, t: u32) -> f32 {
  if (MASKED) {
    return mask[b * p.T + t];
  }
  return 1.0;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let e = (wid.y * nwg.x + wid.x) * WG + lid;
  if (e >= p.B * p.C) {
    return;
  }
  let b = e / p.C;
  let c = e % p.C;
  if (MAX) {
    var best = x[p.xOffset + at(b, 0u, c)];
    var arg = 0u;
    for (var t = 1u; t < p.T; t++) {
      let v = x[p.xOffset + at(b, t, c)];
      if (v > best) {
        best = v;
        arg = t;
      }
    }
    if (!BACKWARD) {
      out[e] = best;
      return;
    }
    for (var t = 0u; t < p.T; t++) {
      out[at(b, t, c)] = select(0.0, dy[e], t == arg);
    }
    return;
  }
  var count = 0.0;
  for (var t = 0u; t < p.T; t++) {
    count += weight(b, t);
  }
  let scale = select(0.0, 1.0 / count, count > 0.0);
  if (!BACKWARD) {
    var sum = 0.0;
    for (var t = 0u; t < p.T; t++) {
      sum += weight(b, t) * x[p.xOffset + at(b, t, c)];
    }
    out[e] = sum * scale;
    return;
  }
  let g = dy[e] * scale;
  for (var t = 0u; t < p.T; t++) {
    out[at(b, t, c)] = g * weight(b, t);
  }
}

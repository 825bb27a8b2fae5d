// 1-D max pooling (channels last), forward or (BACKWARD) backward.
//   forward:  y[b, o, c] = max over t in [o·S − PAD, o·S − PAD + P) ∩ [0, T) of x[b, t, c]
//   backward: dx[b, t, c] = Σ dy[b, o, c] over the windows o that hold t and whose first max
//             (TF's tie rule) is at t; each dx has one writer, no atomics. The argmax is
//             recomputed from x (≤ ceil(P/S) windows of P values), so the forward keeps nothing.
// x, y, dy and dx are batch-major [B, T|To, C], or time-major [T|To, B, C] when TIME_MAJOR.
//
// Bindings (group 0):
//   @binding(0) x    read        [B, T, C] from element xOffset
//   @binding(1) dy   read        [B, To, C] (backward; unused forward)
//   @binding(2) out  read_write  forward y [B, To, C]; backward dx [B, T, C], overwritten
//   @binding(3) p    uniform     { B, T, C, To, P, S, PAD, xOffset }
// Dispatch: (min(n, L), ceil(n / L)) workgroups of WG, n = ceil(elements of out / WG), L the
// per-dimension limit; one invocation one value of out.

struct Params {
  B: u32,
  T: u32,
  C: u32,
  To: u32,
  P: u32,
  S: u32,
  PAD: u32,
  xOffset: u32,
}

override WG: u32 = 64;
override TIME_MAJOR: bool = false;
override BACKWARD: bool = false;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

/** Flat index of (b, t, c) in a sequence of `steps` steps, in the layout. */
fn at(b: u32, t: u32, c: u32, steps: u32) -> u32 {
  if (TIME_MAJOR) {
    return (t * p.B + b) * p.C + c;
  }
  return (b * steps + t) * p.C + c;
}

/** The input step of the first max of window o. */
fn argmax(b: u32, o: u32, c: u32) -> u32 {
  let start = i32(o * p.S) - i32(p.PAD);
  let lo = u32(max(start, 0));
  let hi = u32(min(start + i32(p.P), i32(p.T)));
  var best = x[p.xOffset + at(b, lo, c, p.T)];
  var arg = lo;
  for (var t = lo + 1u; t < hi; t++) {
    let v = x[p.xOffset + at(b, t, c, p.T)];
    if (v > best) {
      best = v;
      arg = t;
    }
  }
  return arg;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let e = (wid.y * nwg.x + wid.x) * WG + lid;
  var steps = p.To;
  if (BACKWARD) {
    steps = p.T;
  }
  if (e >= p.B * steps * p.C) {
    return;
  }
  let c = e % p.C;
  let r = e / p.C;
  var b = r / steps;
  var s = r - b * steps;
  if (TIME_MAJOR) {
    s = r / p.B;
    b = r - s * p.B;
  }
  if (!BACKWARD) {
    out[e] = x[p.xOffset + at(b, argmax(b, s, c), c, p.T)];
    return;
  }
  // Windows holding t: o·S − PAD ≤ t < o·S − PAD + P, i.e. (t + PAD − P + 1)/S ≤ o ≤ (t + PAD)/S.
  let t = s;
  let hiO = min((t + p.PAD) / p.S, p.To - 1u);
  let loNum = i32(t + p.PAD) - i32(p.P) + 1;
  var loO = 0u;
  if (loNum > 0) {
    loO = (u32(loNum) + p.S - 1u) / p.S;
  }
  var sum = 0.0;
  for (var o = loO; o <= hiO; o++) {
    if (argmax(b, o, c) == t) {
      sum += dy[at(b, o, c, p.To)];
    }
  }
  out[e] = sum;
}

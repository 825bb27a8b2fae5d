// Embedding backward: dW[ids[r], e] += dY[r, e] for every row r of the ids [B, T], into a dW
// [V, E] zeroed before (clearBuffer). Only the rows of W that some id selects are touched.
// WGSL has no float atomics: dW is bound as atomic<u32> holding f32 bits, and each addition is
// a compare-exchange loop (read, add in f32, swap in if unchanged, else retry with the value
// found). Additions into one value land in whatever order the invocations win: a value fed by
// three or more rows may differ by f32 rounding from run to run (two: a + b = b + a exactly).
// Ids that select no row (out of range, fractional, NaN) add nothing.
//
// Bindings (group 0):
//   @binding(0) ids  read        [xOffset + B·T] token ids as f32, batch-major [B, T]
//   @binding(1) dY   read        [dyOffset + B·T·E], batch-major [B, T, E], or time-major
//                                [T, B, E] when timeMajor
//   @binding(2) dW   read_write  [V, E] f32 bits in atomic<u32>, zeroed before
//   @binding(3) p    uniform     { B, T, E, V, xOffset, dyOffset, timeMajor }
// Dispatch: (gx, gy), gx·gy·WG ≥ B·T·E (gx within the adapter's per-dimension limit); one
// invocation adds one value of dY, at the flat index i = id.y·gx·WG + id.x.

struct Params {
  B: u32,
  T: u32,
  E: u32,
  V: u32,
  xOffset: u32,
  dyOffset: u32,
  timeMajor: u32,
  _pad: u32,
}

override WG: u32 = 64;

@group(0) @binding(0) var<storage, read> ids: array<f32>;
@group(0) @binding(1) var<storage, read> dY: array<f32>;
@group(0) @binding(2) var<storage, read_write> dW: array<atomic<u32>>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = id.y * groups.x * WG + id.x;
  if (i >= p.B * p.T * p.E) {
    return;
  }
  let r = i / p.E;
  let e = i - r * p.E;
  // r is the row of dY; the token it came from is ids[b·T + t].
  var token = r;
  if (p.timeMajor != 0u) {
    let t = r / p.B;
    let b = r - t * p.B;
    token = b * p.T + t;
  }
  let v = ids[p.xOffset + token];
  if (!(v >= 0.0 && v < f32(p.V) && v == floor(v))) {
    return;
  }
  let g = dY[p.dyOffset + i];
  if (g == 0.0) {
    return;
  }
  let at = u32(v) * p.E + e;
  var old = atomicLoad(&dW[at]);
  loop {
    let swap = atomicCompareExchangeWeak(&dW[at], old, bitcast<u32>(bitcast<f32>(old) + g));
    if (swap.exchanged) {
      break;
    }
    old = swap.old_value;
  }
}

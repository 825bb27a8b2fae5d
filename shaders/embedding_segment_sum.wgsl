// The deterministic Embedding gradient, part 2: dW[id, e] += Σ dY[n, e] over the positions n
// of each id, added in position order by the one invocation that owns (id, e), from the keys
// sorted by embedding_sort.wgsl. Rows of W that no id selects are not touched (dW holds zeros,
// or the sum to add to); SKIP keys (invalid ids, padding of the sort) add nothing.
//
// Bindings (group 0):
//   @binding(0) keys  read        [P] vec2u (id, position) sorted, SKIP last
//   @binding(1) dY    read        [dyOffset + N·E], batch-major [B, T, E], or time-major
//                                 [T, B, E] when timeMajor; position n = b·T + t
//   @binding(2) dW    read_write  [V, E]
//   @binding(3) p     uniform     { N, E, B, T, dyOffset, timeMajor, groupsX, _ }
// Dispatch: (groupsX, ·) workgroups of WG folded, one invocation a (key i, column e), i = f / E:
// invocations of the first key of each id run its segment; the others return at once.

struct Params {
  N: u32,
  E: u32,
  B: u32,
  T: u32,
  dyOffset: u32,
  timeMajor: u32,
  groupsX: u32,
  _pad: u32,
}

override WG: u32 = 64;
const SKIP: u32 = 0xffffffffu;

@group(0) @binding(0) var<storage, read> keys: array<vec2u>;
@group(0) @binding(1) var<storage, read> dY: array<f32>;
@group(0) @binding(2) var<storage, read_write> dW: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

fn dy_at(n: u32, e: u32) -> f32 {
  var row = n;
  if (p.timeMajor != 0u) {
    let b = n / p.T;
    row = (n - b * p.T) * p.B + b;
  }
  return dY[p.dyOffset + row * p.E + e];
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let f = (wg.y * p.groupsX + wg.x) * WG + lid;
  if (f >= p.N * p.E) {
    return;
  }
  let i = f / p.E;
  let e = f - i * p.E;
  let id = keys[i].x;
  if (id == SKIP || (i > 0u && keys[i - 1u].x == id)) {
    return;
  }
  var s = 0.0;
  for (var at = i; at < p.N && keys[at].x == id; at++) {
    s += dy_at(keys[at].y, e);
  }
  dW[id * p.E + e] += s;
}

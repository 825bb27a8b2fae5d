// The deterministic Embedding gradient, part 1: the positions of the ids [B, T] sorted by
// (id, position) with a bitonic sort, so that embedding_segment_sum.wgsl can add each id's
// rows of dY in position order (the same sums, in the same order, on every run).
// keys[i] = (id, position): position i < N = B·T holds ids[xOffset + i] when it is a whole
// number in [0, V), else SKIP; positions N … P − 1 (P = a power of two ≥ TILE) hold SKIP, so
// every SKIP sorts last. Bitonic network over P (ascending): stage k = 2, 4, …, P; step
// j = k/2, …, 1 compares i with i + j (bit j of i clear), ascending where bit k of i is 0.
//
// Bindings (group 0):
//   @binding(0) ids   read        [xOffset + N] token ids as f32, batch-major
//   @binding(1) keys  read_write  [P] vec2u (id, position)
//   @binding(2) p     uniform     { N, V, xOffset, P, k, j, groupsX, _ }
// Entry points (WG = 256 invocations; TILE = 2·WG elements a workgroup):
//   init          (ceil(P / WG) folded to (groupsX, ·)): one key each
//   sort_tiles    (P / TILE): every stage k ≤ TILE inside each tile, in workgroup memory
//   merge_tile    (P / TILE): stage k's steps j < TILE inside each tile (k > TILE)
//   merge_global  (P / 2 / WG folded): one step j ≥ TILE of stage k, one pair an invocation

struct Params {
  N: u32,
  V: u32,
  xOffset: u32,
  P: u32,
  k: u32,
  j: u32,
  groupsX: u32,
  _pad: u32,
}

override WG: u32 = 256;
const SKIP: u32 = 0xffffffffu;

@group(0) @binding(0) var<storage, read> ids: array<f32>;
@group(0) @binding(1) var<storage, read_write> keys: array<vec2u>;
@group(0) @binding(2) var<uniform> p: Params;

var<workgroup> tile: array<vec2u, 2 * WG>;

fn flat(wg: vec3u, lid: u32) -> u32 {
  return (wg.y * p.groupsX + wg.x) * WG + lid;
}

/** a before b: smaller id, or the same id and an earlier position. */
fn before(a: vec2u, b: vec2u) -> bool {
  return a.x < b.x || (a.x == b.x && a.y < b.y);
}

@compute @workgroup_size(WG)
fn init(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let i = flat(wg, lid);
  if (i >= p.P) {
    return;
  }
  var id = SKIP;
  if (i < p.N) {
    let v = ids[p.xOffset + i];
    // NaN fails every comparison; f32(V) is exact for V ≤ 2^24 (checked by the config).
    if (v >= 0.0 && v < f32(p.V) && v == floor(v)) {
      id = u32(v);
    }
  }
  keys[i] = vec2u(id, i);
}

/** Compare-exchange of tile slots a < b, ascending unless bit k of global index `at` is set. */
fn exchange_in_tile(a: u32, b: u32, at: u32, k: u32) {
  let x = tile[a];
  let y = tile[b];
  let ascending = (at & k) == 0u;
  if (before(y, x) == ascending) {
    tile[a] = y;
    tile[b] = x;
  }
}

/** Steps j = first, first/2, …, 1 of stage k on this workgroup's tile. */
fn tile_steps(wg: u32, lid: u32, k: u32, first: u32) {
  for (var j = first; j > 0u; j /= 2u) {
    let a = 2u * j * (lid / j) + lid % j;
    exchange_in_tile(a, a + j, wg * 2u * WG + a, k);
    workgroupBarrier();
  }
}

fn load_tile(wg: u32, lid: u32) {
  tile[lid] = keys[wg * 2u * WG + lid];
  tile[lid + WG] = keys[wg * 2u * WG + lid + WG];
  workgroupBarrier();
}

fn store_tile(wg: u32, lid: u32) {
  keys[wg * 2u * WG + lid] = tile[lid];
  keys[wg * 2u * WG + lid + WG] = tile[lid + WG];
}

@compute @workgroup_size(WG)
fn sort_tiles(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  load_tile(wg.x, lid);
  for (var k = 2u; k <= 2u * WG; k *= 2u) {
    tile_steps(wg.x, lid, k, k / 2u);
  }
  store_tile(wg.x, lid);
}

@compute @workgroup_size(WG)
fn merge_tile(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  load_tile(wg.x, lid);
  tile_steps(wg.x, lid, p.k, WG);
  store_tile(wg.x, lid);
}

@compute @workgroup_size(WG)
fn merge_global(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let t = flat(wg, lid);
  if (t >= p.P / 2u) {
    return;
  }
  let a = 2u * p.j * (t / p.j) + t % p.j;
  let b = a + p.j;
  let x = keys[a];
  let y = keys[b];
  if (before(y, x) == ((a & p.k) == 0u)) {
    keys[a] = y;
    keys[b] = x;
  }
}

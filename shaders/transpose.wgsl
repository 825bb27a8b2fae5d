// Matrix transpose: Y[c, r] = X[r, c].
//
// Bindings (group 0):
//   @binding(0) X  read        [R, C]
//   @binding(1) Y  read_write  [C, R]
//   @binding(2) p  uniform     { R, C }
// Dispatch: (ceil(C / 16), ceil(R / 16)); workgroup 16×16. The workgroup stages a 16×16 tile
// in shared memory so that both the reads of X and the writes of Y are coalesced.

struct Params {
  R: u32,
  C: u32,
}

@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

var<workgroup> tile: array<array<f32, 17>, 16>; // padded against bank conflicts

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let r = wg.y * 16u + lid.y;
  let c = wg.x * 16u + lid.x;
  if (r < p.R && c < p.C) {
    tile[lid.y][lid.x] = X[r * p.C + c];
  }
  workgroupBarrier();
  let outRow = wg.x * 16u + lid.y; // a column of X
  let outCol = wg.y * 16u + lid.x; // a row of X
  if (outRow < p.C && outCol < p.R) {
    Y[outRow * p.R + outCol] = tile[lid.x][lid.y];
  }
}

// Embedding lookup: y[r, e] = W[ids[r], e] for the rows r of the ids [B, T] (batch-major).
// Ids arrive as f32; one that is not a whole number in [0, V) (out of range, fractional,
// NaN) gives a zero row: the guard keeps every read of W in bounds. The API rejects such ids
// before they reach the GPU (checkTokenIds), so the guard only matters for ids already in a
// Tensor.
//
// Bindings (group 0):
//   @binding(0) ids  read        [xOffset + rows] token ids as f32
//   @binding(1) W    read        [V, E] the table
//   @binding(2) y    read_write  [rows, E] batch-major [B, T, E]
//   @binding(3) p    uniform     { rows, E, V, xOffset }
// Dispatch: (gx, gy), gx·gy·WG ≥ rows·E (gx within the adapter's per-dimension limit); one
// invocation writes one value at the flat index i = id.y·gx·WG + id.x, so the invocations of
// a workgroup copy consecutive values of a row.

struct Params {
  rows: u32,
  E: u32,
  V: u32,
  xOffset: u32,
}

override WG: u32 = 64;

@group(0) @binding(0) var<storage, read> ids: array<f32>;
@group(0) @binding(1) var<storage, read> W: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = id.y * groups.x * WG + id.x;
  if (i >= p.rows * p.E) {
    return;
  }
  let r = i / p.E;
  let e = i - r * p.E;
  let v = ids[p.xOffset + r];
  // NaN fails every comparison; f32(V) is exact for V ≤ 2^24 (checked by the config).
  if (v >= 0.0 && v < f32(p.V) && v == floor(v)) {
    y[i] = W[u32(v) * p.E + e];
  } else {
    y[i] = 0.0;
  }
}

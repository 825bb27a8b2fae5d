// Row softmax in place, stable for any magnitude: x[r, j] = exp(x[r, j] − max_r) / Σ_j exp(x[r, j] − max_r).
//
// Bindings (group 0):
//   @binding(0) x  read_write  [rows, cols] logits in, probabilities out
//   @binding(1) p  uniform     Params
// Dispatch: (groupsX, ceil(groups / groupsX)) workgroups of WG invocations, groups =
// ceil(rows / (WG / lanes)); the workgroup id is folded to wg.y·groupsX + wg.x.
// `lanes` invocations (a power of two ≤ WG, about cols) share one row, reading columns
// j = lane, lane + lanes, … (coalesced); the row's max and sum are combined by a tree in
// workgroup memory. Sweeps: max; e = exp(x − max) written back and summed; e / sum. Each
// element is read and written by the same invocation in every sweep.

struct Params {
  rows: u32,
  cols: u32,
  lanes: u32,
  groupsX: u32,
}

override WG: u32 = 64;

@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@group(0) @binding(1) var<uniform> p: Params;

var<workgroup> red: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let lanes = p.lanes;
  let lane = lid % lanes;
  let base = lid - lane;
  let row = (wg.y * p.groupsX + wg.x) * (WG / lanes) + lid / lanes;
  let n = select(0u, p.cols, row < p.rows); // rows past the end skip the sweeps but meet every barrier
  let at = row * p.cols;

  var m = -3.4028234663852886e38;
  for (var j = lane; j < n; j += lanes) {
    m = max(m, x[at + j]);
  }
  red[lid] = m;
  workgroupBarrier();
  for (var s = lanes / 2u; s > 0u; s /= 2u) {
    if (lane < s) {
      red[lid] = max(red[lid], red[lid + s]);
    }
    workgroupBarrier();
  }
  let rowMax = red[base];
  workgroupBarrier();

  var sum = 0.0;
  for (var j = lane; j < n; j += lanes) {
    let e = exp(x[at + j] - rowMax);
    x[at + j] = e;
    sum += e;
  }
  red[lid] = sum;
  workgroupBarrier();
  for (var s = lanes / 2u; s > 0u; s /= 2u) {
    if (lane < s) {
      red[lid] += red[lid + s];
    }
    workgroupBarrier();
  }
  let rowSum = red[base];

  for (var j = lane; j < n; j += lanes) {
    x[at + j] = x[at + j] / rowSum;
  }
}

// Column sums: y[n] = Σ_r X[r, n] (+ y[n] when accumulating). Used for bias gradients and to
// sum a split-K GEMM's partial products.
//
// Bindings (group 0):
//   @binding(0) X  read        [R, N]
//   @binding(1) y  read_write  [N]
//   @binding(2) p  uniform     { R, N, accumulate }
// Dispatch: (ceil(N / COLS), 1); workgroup COLS × LANES invocations. Lane l of column n sums
// rows r ≡ l (mod LANES) in ascending r; the LANES partial sums of a column are then added in a
// fixed tree in workgroup memory (the same order on every run). The COLS invocations of a lane
// read consecutive columns of a row (LANES = 32, COLS = 8: one 32-byte sector; LANES = 1 for
// short columns: one invocation a column, COLS = 256).

struct Params {
  R: u32,
  N: u32,
  accumulate: u32,
  _pad: u32,
}

override COLS: u32 = 8;
override LANES: u32 = 32; // a power of two, COLS · LANES ≤ 256

@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

var<workgroup> partial: array<f32, COLS * LANES>; // [LANES][COLS]

@compute @workgroup_size(COLS, LANES)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let n = wg.x * COLS + lid.x;
  var sum = 0.0;
  if (n < p.N) {
    for (var r = lid.y; r < p.R; r += LANES) {
      sum += X[r * p.N + n];
    }
  }
  partial[lid.y * COLS + lid.x] = sum;
  workgroupBarrier();
  for (var half = LANES / 2u; half > 0u; half /= 2u) {
    if (lid.y < half) {
      partial[lid.y * COLS + lid.x] += partial[(lid.y + half) * COLS + lid.x];
    }
    workgroupBarrier();
  }
  if (lid.y == 0u && n < p.N) {
    var total = partial[lid.x];
    if (p.accumulate != 0u) {
      total += y[n];
    }
    y[n] = total;
  }
}

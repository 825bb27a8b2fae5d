// Tiled GEMM with fused bias and activation:
//   Y[M,N] = act(op(A)[M,K] · op(B)[K,N] + bias[N] (+ Y when accumulating))
// (act is ACTIVATION, an id of activations.wgsl, linear by default).
//
// Bindings (group 0):
//   @binding(0) A      read        [M,K] row-major; [K,M] when TRANS_A. Read from element p.aOffset.
//   @binding(1) B      read        [K,N] row-major; [N,K] when TRANS_B
//   @binding(2) bias   read        [N]   (read only when HAS_BIAS)
//   @binding(3) Y      read_write  [M,N] row-major
//   @binding(4) p      uniform     Params
// Dispatch: (ceil(N / (WG·4)), ceil(M / (WG·4)), S); workgroup WG×WG invocations. Three entry
// points: `main` stages tiles of A and B in workgroup memory, `main_registers` (below) reads
// them from storage, and `main_rows` (below, for a few rows: dispatch (ceil(N / ROWS_WG),
// ceil(M / 4), S)) computes one column of 4 rows an invocation.
// Split K (p.kChunk > 0, a multiple of TILE_K; S = ceil(K / kChunk)): workgroup z sums
// k ∈ [z·kChunk, (z+1)·kChunk) only and writes its partial product to Y's slice z, [S, M, N]
// (the caller keeps bias, accumulate and the activation off, and sums the slices after).
// One invocation computes a 4×4 block of Y: rows rowBase + ly + i·WG, columns colBase + lx + j·WG
// (strided, so a row of invocations writes contiguous columns). Per K-tile of TILE_K, the
// workgroup stages a (WG·4)×TILE_K slice of A and a TILE_K×(WG·4) slice of B in shared memory.
//
// A_ROWS_BATCH_MAJOR: the stored A's logical row r = t·seqBatch + b (time-major) is its
// physical row b·seqSteps + t; this reads a [batch, steps, features] input as time-major rows
// without a separate transpose (rows are m, or k with TRANS_A, as in Xᵀ·dG).
// A_ROWS_REVERSED: logical row r = t·seqBatch + b reads stored step seqSteps−1−t (of a
// time-major A, or with A_ROWS_BATCH_MAJOR of a batch-major one): a sequence read backwards in
// time, as a goBackwards layer reads its input, without a reversed copy.

struct Params {
  M: u32,
  N: u32,
  K: u32,
  seqSteps: u32,
  seqBatch: u32,
  accumulate: u32,
  aOffset: u32,
  kChunk: u32, // split K: the K range of a workgroup z; 0: all of K
}

override WG: u32 = 16;
override TILE_K: u32 = 16;
override TRANS_A: bool = false;
override TRANS_B: bool = false;
override HAS_BIAS: bool = true;
override A_ROWS_BATCH_MAJOR: bool = false;
override A_ROWS_REVERSED: bool = false;
override ACTIVATION: u32 = 4u; // linear
override ROWS_WG: u32 = 64u; // main_rows: invocations (columns) a workgroup

const TM: u32 = 4u;
const TN: u32 = 4u;

@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

var<workgroup> tileA: array<f32, TILE_K * WG * TM>; // [TILE_K][WG·TM]
var<workgroup> tileB: array<f32, TILE_K * WG * TN>; // [TILE_K][WG·TN]

fn readA(m: u32, k: u32) -> f32 {
  if (m >= p.M || k >= p.K) {
    return 0.0;
  }
  // The stored matrix is [M,K] (rows m) or, with TRANS_A, [K,M] (rows k).
  var row = m;
  var col = k;
  var width = p.K;
  if (TRANS_A) {
    row = k;
    col = m;
    width = p.M;
  }
  if (A_ROWS_BATCH_MAJOR || A_ROWS_REVERSED) {
    let b = row % p.seqBatch;
    var t = row / p.seqBatch;
    if (A_ROWS_REVERSED) {
      t = p.seqSteps - 1u - t;
    }
    if (A_ROWS_BATCH_MAJOR) {
      row = b * p.seqSteps + t;
    } else {
      row = t * p.seqBatch + b;
    }
  }
  return A[p.aOffset + row * width + col];
}

fn readB(k: u32, n: u32) -> f32 {
  if (k >= p.K || n >= p.N) {
    return 0.0;
  }
  if (TRANS_B) {
    return B[n * p.K + k];
  }
  return B[k * p.N + n];
}

@compute @workgroup_size(WG, WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let tileM = WG * TM;
  let tileN = WG * TN;
  let rowBase = wg.y * tileM;
  let colBase = wg.x * tileN;
  let tid = lid.y * WG + lid.x;
  let threads = WG * WG;

  let range = k_range(wg.z);
  let kBegin = range.x;
  let kEnd = range.y;
  let yBase = range.z;

  var acc: array<f32, 16>; // [TM][TN]
  for (var k0 = kBegin; k0 < kEnd; k0 += TILE_K) {
    // Consecutive invocations load consecutive addresses of A and B.
    for (var i = tid; i < TILE_K * tileM; i += threads) {
      var kk: u32;
      var mm: u32;
      if (TRANS_A) {
        mm = i % tileM;
        kk = i / tileM;
      } else {
        kk = i % TILE_K;
        mm = i / TILE_K;
      }
      tileA[kk * tileM + mm] = readA(rowBase + mm, k0 + kk);
    }
    for (var i = tid; i < TILE_K * tileN; i += threads) {
      var kk: u32;
      var nn: u32;
      if (TRANS_B) {
        kk = i % TILE_K;
        nn = i / TILE_K;
      } else {
        nn = i % tileN;
        kk = i / tileN;
      }
      tileB[kk * tileN + nn] = readB(k0 + kk, colBase + nn);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TILE_K; kk++) {
      var a: array<f32, 4>;
      var b: array<f32, 4>;
      for (var i = 0u; i < TM; i++) {
        a[i] = tileA[kk * tileM + lid.y + i * WG];
      }
      for (var j = 0u; j < TN; j++) {
        b[j] = tileB[kk * tileN + lid.x + j * WG];
      }
      for (var i = 0u; i < TM; i++) {
        for (var j = 0u; j < TN; j++) {
          acc[i * TN + j] = fma(a[i], b[j], acc[i * TN + j]);
        }
      }
    }
    workgroupBarrier();
  }

  store_block(acc, rowBase, colBase, lid.xy, yBase);
}

// Writes an invocation's 4×4 block acc [TM][TN] of Y (rows rowBase + ly + i·WG, columns
// colBase + lx + j·WG) at yBase, with the bias, accumulation and activation epilogue.
fn store_block(acc: array<f32, 16>, rowBase: u32, colBase: u32, l: vec2u, yBase: u32) {
  for (var i = 0u; i < TM; i++) {
    for (var j = 0u; j < TN; j++) {
      store_one(acc[i * TN + j], rowBase + l.y + i * WG, colBase + l.x + j * WG, yBase);
    }
  }
}

// Y[row, col] (at yBase) = act(v + bias[col] (+ Y)); nothing outside [M, N].
fn store_one(acc: f32, row: u32, col: u32, yBase: u32) {
  if (row >= p.M || col >= p.N) {
    return;
  }
  var v = acc;
  if (HAS_BIAS) {
    v += bias[col];
  }
  let at = yBase + row * p.N + col;
  if (p.accumulate != 0u) {
    v += Y[at];
  }
  Y[at] = activate(ACTIVATION, v);
}

// The K range of workgroup z and where its block goes: all of K into Y, or with a split
// (p.kChunk > 0) slice z of K into Y's slice z.
fn k_range(z: u32) -> vec3u {
  let split = p.kChunk != 0u;
  let kBegin = select(0u, z * p.kChunk, split);
  return vec3u(kBegin, select(p.K, min(p.K, kBegin + p.kChunk), split), select(0u, z * p.M * p.N, split));
}

// Entry point `main_registers`: the same blocks, dispatch and epilogue as `main`, without
// workgroup memory: each invocation reads its 4 rows of A and 4 columns of B from storage at
// every k (the caches serve the reuse across the workgroup). Summation order as `main`:
// ascending k, one fma a product.
@compute @workgroup_size(WG, WG)
fn main_registers(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let rowBase = wg.y * WG * TM;
  let colBase = wg.x * WG * TN;
  let range = k_range(wg.z);
  var acc: array<f32, 16>;
  for (var k = range.x; k < range.y; k++) {
    var a: array<f32, 4>;
    var b: array<f32, 4>;
    for (var i = 0u; i < TM; i++) {
      a[i] = readA(rowBase + lid.y + i * WG, k);
    }
    for (var j = 0u; j < TN; j++) {
      b[j] = readB(k, colBase + lid.x + j * WG);
    }
    for (var i = 0u; i < TM; i++) {
      for (var j = 0u; j < TN; j++) {
        acc[i * TN + j] = fma(a[i], b[j], acc[i * TN + j]);
      }
    }
  }
  store_block(acc, rowBase, colBase, lid.xy, range.z);
}

// Entry point `main_rows`, for a few rows (a batch of one to a few samples: generation's head
// and input projection): dispatch (ceil(N / ROWS_WG), ceil(M / TM), S); workgroup ROWS_WG
// invocations. Invocation lid computes column n = wg.x·ROWS_WG + lid.x of rows wg.y·TM …
// wg.y·TM + TM − 1, so each element of B is read once per block of 4 rows and no lane works on
// a padded row beyond the 4. Summation order as `main` (ascending k, one fma a product): equal to the bit.
@compute @workgroup_size(ROWS_WG)
fn main_rows(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let n = wg.x * ROWS_WG + lid.x;
  let rowBase = wg.y * TM;
  let range = k_range(wg.z);
  var acc: array<f32, 4>;
  for (var k = range.x; k < range.y; k++) {
    let b = readB(k, n);
    for (var i = 0u; i < TM; i++) {
      acc[i] = fma(readA(rowBase + i, k), b, acc[i]);
    }
  }
  for (var i = 0u; i < TM; i++) {
    store_one(acc[i], rowBase + i, n, range.z);
  }
}

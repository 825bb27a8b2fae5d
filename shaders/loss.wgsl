// Loss, metrics and loss gradient in two passes of one module (REDUCE selects the pass;
// both take the same six bindings). Semantics, clipping and the fused gradients:
// src/reference/losses.ts. Two passes rather than one workgroup: at rows·cols up to ~10⁸ a
// single workgroup would serialize the elementwise work; here every row runs in parallel and
// only the ≤ rows vec4s of rowStats meet in one workgroup (no readback in between).
//
// Bindings (group 0):
//   @binding(0) yPred     read        [rows, cols] the head's output after its activation
//   @binding(1) yTrue     read        [rows, cols]; [rows] class indices (as f32) when LOSS = 4
//   @binding(2) grad      read_write  [rows, cols] d(loss)/d(yPred), or d(loss)/d(logits) when FUSED
//   @binding(3) rowStats  read_write  [rows] vec4: (row loss, row mae, row accuracy, 0)
//   @binding(4) out       read_write  out[outIndex] = loss, out[outIndex + 1 + m] = metric m
//   @binding(5) p         uniform     Params
//   @binding(6) weights   read        [rows] each row's weight (WEIGHTED: the sample or class
//                                     weights; the row's loss and gradient are scaled by it,
//                                     the metrics are not, as Keras's `sample_weight`)
//   @binding(7) metricWeights read    [rows] (MASKED: each row's metric weight, the Keras mask
//                                     scaled to mean 1 over rows, m·rows/Σm — the weights of
//                                     binding 6 then hold m·rows/Σm times the sample weight)
//
// Pass 1 (REDUCE = false, WG = 64): per row. Dispatch (groupsX, ceil(groups / groupsX)),
// groups = ceil(rows / (WG / lanes)); the workgroup id is folded to wg.y·groupsX + wg.x.
// `lanes` invocations (a power of two ≤ WG, about cols) share one row: they read its
// columns j = lane, lane + lanes, … (consecutive invocations, consecutive addresses) and
// combine row sums and argmaxes by a tree in workgroup memory. Three sweeps over the row:
//   1. Σp, Σy, argmax p, argmax y (first index on ties);
//   2. with S = Σp: loss terms, |p − y|, binary-accuracy hits, Σ y·(clip passes q = p/S);
//   3. the gradient of each element.
// Lane 0 writes the row's vec4 of rowStats.
//
// Pass 2 (REDUCE = true, WG = 256): dispatch (1); one workgroup sums rowStats over rows
// (each invocation a strided partial sum, then a tree) and writes the means to out.

struct Params {
  rows: u32,
  cols: u32,
  lanes: u32,
  accKind: u32, // 0 binary (y == (p > 0.5)), 1 categorical (argmax match), 2 sparse (argmax == label)
  groupsX: u32,
  outIndex: u32,
  metricCount: u32,
  _pad: u32,
  metricSel: array<vec4u, 2>, // metric m is component metricSel[m / 4][m % 4] of rowStats (1 mae, 2 accuracy)
}

override WG: u32 = 64;
override LOSS: u32 = 0u; // 0 MSE, 1 MAE, 2 BCE, 3 categorical CE, 4 sparse categorical CE
override FUSED: bool = false; // sigmoid + BCE, or softmax + (sparse) categorical CE
override REDUCE: bool = false; // pass 2
override WEIGHTED: bool = false; // rows scaled by weights[row]
override MASKED: bool = false; // row metrics scaled by metricWeights[row]

const EPS: f32 = 1e-7;
const ONE_MINUS_EPS: f32 = 0.99999988079071044921875; // 1 − ε rounded to f32, as Keras
const NONE: u32 = 0xffffffffu;

@group(0) @binding(0) var<storage, read> yPred: array<f32>;
@group(0) @binding(1) var<storage, read> yTrue: array<f32>;
@group(0) @binding(2) var<storage, read_write> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> rowStats: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<uniform> p: Params;
@group(0) @binding(6) var<storage, read> weights: array<f32>;
@group(0) @binding(7) var<storage, read> metricWeights: array<f32>;

/** Row `row`'s weight (1 unweighted; a dead row past the last reads the last). */
fn rowWeight(row: u32) -> f32 {
  if (WEIGHTED) {
    return weights[min(row, p.rows - 1u)];
  }
  return 1.0;
}

/** Row `row`'s metric weight (1 unmasked). */
fn metricWeight(row: u32) -> f32 {
  if (MASKED) {
    return metricWeights[min(row, p.rows - 1u)];
  }
  return 1.0;
}

var<workgroup> redV: array<vec4f, WG>;
var<workgroup> redI: array<vec2u, WG>;

// The target of row r, column j (the one-hot of the label for the sparse loss).
fn truth(r: u32, j: u32, label: f32) -> f32 {
  if (LOSS == 4u) {
    return select(0.0, 1.0, f32(j) == label);
  }
  return yTrue[r * p.cols + j];
}

fn passes(q: f32) -> bool {
  return q >= EPS && q <= ONE_MINUS_EPS;
}

// (vb, ib) beats (va, ia): larger, or equal and earlier; NONE is no candidate.
fn beats(vb: f32, ib: u32, va: f32, ia: u32) -> bool {
  return ib != NONE && (ia == NONE || vb > va || (vb == va && ib < ia));
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  if (REDUCE) {
    reducePass(lid);
  } else {
    rowPass(wg, lid);
  }
}

fn reducePass(lid: u32) {
  var sum = vec4f(0.0);
  for (var r = lid; r < p.rows; r += WG) {
    sum += rowStats[r];
  }
  redV[lid] = sum;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s /= 2u) {
    if (lid < s) {
      redV[lid] += redV[lid + s];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let mean = redV[0] / f32(p.rows);
    out[p.outIndex] = mean.x;
    for (var m = 0u; m < p.metricCount; m++) {
      out[p.outIndex + 1u + m] = mean[p.metricSel[m / 4u][m % 4u]];
    }
  }
}

fn rowPass(wg: vec3u, lid: u32) {
  let lanes = p.lanes;
  let lane = lid % lanes;
  let base = lid - lane; // the row's first invocation
  let row = (wg.y * p.groupsX + wg.x) * (WG / lanes) + lid / lanes;
  let live = row < p.rows;
  let n = select(0u, p.cols, live); // inactive invocations skip the sweeps but meet every barrier
  let at = row * p.cols;
  var label = -1.0;
  if (LOSS == 4u && live) {
    label = yTrue[row];
  }

  // Sweep 1: Σp, Σy, argmax p, argmax y.
  var sumP = 0.0;
  var sumY = 0.0;
  var maxP = 0.0;
  var maxY = 0.0;
  var iP = NONE;
  var iY = NONE;
  for (var j = lane; j < n; j += lanes) {
    let pj = yPred[at + j];
    let yj = truth(row, j, label);
    sumP += pj;
    sumY += yj;
    if (beats(pj, j, maxP, iP)) {
      maxP = pj;
      iP = j;
    }
    if (beats(yj, j, maxY, iY)) {
      maxY = yj;
      iY = j;
    }
  }
  redV[lid] = vec4f(sumP, sumY, maxP, maxY);
  redI[lid] = vec2u(iP, iY);
  workgroupBarrier();
  for (var s = lanes / 2u; s > 0u; s /= 2u) {
    if (lane < s) {
      let a = redV[lid];
      let b = redV[lid + s];
      let ia = redI[lid];
      let ib = redI[lid + s];
      var v = vec4f(a.x + b.x, a.y + b.y, a.z, a.w);
      var i = ia;
      if (beats(b.z, ib.x, a.z, ia.x)) {
        v.z = b.z;
        i.x = ib.x;
      }
      if (beats(b.w, ib.y, a.w, ia.y)) {
        v.w = b.w;
        i.y = ib.y;
      }
      redV[lid] = v;
      redI[lid] = i;
    }
    workgroupBarrier();
  }
  let rowSums = redV[base];
  let rowArgmax = redI[base];
  workgroupBarrier(); // everyone has read before sweep 2 reuses redV
  let S = rowSums.x;
  let sumYRow = rowSums.y;

  // Sweep 2: loss terms, |p − y|, binary-accuracy hits, Σ y·(clip passes).
  var lossSum = 0.0;
  var absSum = 0.0;
  var hits = 0.0;
  var sumYPassed = 0.0;
  for (var j = lane; j < n; j += lanes) {
    let pj = yPred[at + j];
    let yj = truth(row, j, label);
    let d = pj - yj;
    if (LOSS == 0u) {
      lossSum += d * d;
    } else if (LOSS == 1u) {
      lossSum += abs(d);
    } else if (LOSS == 2u) {
      let pc = clamp(pj, EPS, ONE_MINUS_EPS);
      lossSum -= yj * log(pc) + (1.0 - yj) * log(1.0 - pc);
    } else {
      let q = pj / S;
      if (yj != 0.0) {
        lossSum -= yj * log(clamp(q, EPS, ONE_MINUS_EPS));
      }
      if (passes(q)) {
        sumYPassed += yj;
      }
    }
    absSum += abs(d);
    hits += select(0.0, 1.0, yj == select(0.0, 1.0, pj > 0.5));
  }
  redV[lid] = vec4f(lossSum, absSum, hits, sumYPassed);
  workgroupBarrier();
  for (var s = lanes / 2u; s > 0u; s /= 2u) {
    if (lane < s) {
      redV[lid] += redV[lid + s];
    }
    workgroupBarrier();
  }
  let rowTotals = redV[base];

  // Sweep 3: the gradient.
  let w = rowWeight(row);
  let perElement = w / (f32(p.rows) * f32(p.cols));
  let perRow = w / f32(p.rows);
  for (var j = lane; j < n; j += lanes) {
    let pj = yPred[at + j];
    let yj = truth(row, j, label);
    var g: f32;
    if (LOSS == 0u) {
      g = 2.0 * (pj - yj) * perElement;
    } else if (LOSS == 1u) {
      g = sign(pj - yj) * perElement;
    } else if (LOSS == 2u) {
      if (FUSED) {
        g = (pj - yj) * perElement; // d/dz, p = σ(z)
      } else {
        let pc = clamp(pj, EPS, ONE_MINUS_EPS);
        g = select(0.0, (pc - yj) / (pc * (1.0 - pc)) * perElement, passes(pj));
      }
    } else if (FUSED) {
      g = (pj * sumYRow - yj) * perRow; // d/dz, p = softmax(z)
    } else {
      let own = select(0.0, yj / pj, yj != 0.0 && passes(pj / S));
      g = (rowTotals.w / S - own) * perRow;
    }
    grad[at + j] = g;
  }

  if (live && lane == 0u) {
    let c = f32(p.cols);
    var rowLoss = rowTotals.x;
    if (LOSS <= 2u) {
      rowLoss /= c;
    }
    var accuracy = rowTotals.z / c;
    if (p.accKind == 1u) {
      accuracy = select(0.0, 1.0, rowArgmax.x == rowArgmax.y);
    } else if (p.accKind == 2u) {
      accuracy = select(0.0, 1.0, f32(rowArgmax.x) == label);
    }
    let mw = metricWeight(row);
    rowStats[row] = vec4f(rowLoss * w, rowTotals.y / c * mw, accuracy * mw, 0.0);
  }
}

// One step of beam search, one workgroup a source row b, as src/reference/beamSearch.ts defines
// it (the CPU twin, in Float64). Beam k of row b is decoder row b·K + k:
//   logp(k, v) = log p[v] of its head row (probabilities), or z[v] − log Σ exp z (LOGITS)
//   score(k, v) = scores[k] + logp(k, v) for a live beam; a finished beam only continues with
//                 the end token, at no cost; at the first step only beam 0 is live
//   the K best (score, candidate k·V + v), ties to the lower candidate, become the new beams:
//   parent = c / V, token = c % V, finished = finished[parent] or token = end
// A candidate of score −∞ (fewer than K) makes a dead beam: score −∞, finished, token 0.
//
// Bindings (group 0):
//   @binding(0) probs       read        beam row r's V values from base + r·strideB
//   @binding(1) beams       read_write  [2, B·K]: the scores, then the finished flags (0 / 1)
//   @binding(2) ids         read_write  [B·K] each new beam's token (as f32): the next input
//   @binding(3) history     read_write  step's (token, parent) pairs at 2·(historyAt + b·K + j)
//   @binding(4) parentRows  read_write  [B·K] u32: b·K + parent, the rows the states move from
//   @binding(5) p           uniform     Params
// Dispatch: (B) workgroups of WG invocations; candidates c = lid, lid + WG, … of K·V.

struct Params {
  V: u32,
  K: u32,
  B: u32,
  base: u32,
  strideB: u32,
  end: u32, // 0xffffffff: none
  first: u32,
  historyAt: u32,
  logits: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
}

override WG: u32 = 256;
const MAX_BEAMS: u32 = 16u;
const NONE: u32 = 0xffffffffu;
const NEG: f32 = -3.4028234663852886e38;

@group(0) @binding(0) var<storage, read> probs: array<f32>;
@group(0) @binding(1) var<storage, read_write> beams: array<f32>;
@group(0) @binding(2) var<storage, read_write> ids: array<f32>;
@group(0) @binding(3) var<storage, read_write> history: array<f32>;
@group(0) @binding(4) var<storage, read_write> parentRows: array<u32>;
@group(0) @binding(5) var<uniform> p: Params;

var<workgroup> scores: array<f32, MAX_BEAMS>;
var<workgroup> finished: array<f32, MAX_BEAMS>;
var<workgroup> normalizer: array<f32, MAX_BEAMS>;
var<workgroup> chosen: array<u32, MAX_BEAMS>;
var<workgroup> chosenScore: array<f32, MAX_BEAMS>;
var<workgroup> redF: array<f32, WG>;
var<workgroup> redU: array<u32, WG>;

fn row_at(b: u32, k: u32) -> u32 {
  return p.base + (b * p.K + k) * p.strideB;
}

/** log p of beam k's value v (normalizer: log Σ exp z with LOGITS); −∞ for p ≤ 0. */
fn log_prob(b: u32, k: u32, v: u32) -> f32 {
  let x = probs[row_at(b, k) + v];
  if (p.logits != 0u) {
    return x - normalizer[k];
  }
  return select(NEG, log(x), x > 0.0);
}

fn candidate_score(b: u32, c: u32) -> f32 {
  let k = c / p.V;
  let v = c - k * p.V;
  if (p.first != 0u && k > 0u) {
    return NEG;
  }
  if (finished[k] != 0.0) {
    return select(NEG, scores[k], v == p.end);
  }
  if (scores[k] <= NEG) {
    return NEG;
  }
  return scores[k] + log_prob(b, k, v);
}

/** Tree over the workgroup: the largest of `value` (max) or their sum; the same in every invocation. */
fn reduce(lid: u32, value: f32, take_max: bool) -> f32 {
  redF[lid] = value;
  for (var s = WG / 2u; s > 0u; s /= 2u) {
    workgroupBarrier();
    if (lid < s) {
      redF[lid] = select(redF[lid] + redF[lid + s], max(redF[lid], redF[lid + s]), take_max);
    }
  }
  workgroupBarrier();
  let out = redF[0];
  workgroupBarrier();
  return out;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let b = wg.x;
  let K = p.K;
  if (lid < K) {
    scores[lid] = beams[b * K + lid];
    finished[lid] = beams[p.B * K + b * K + lid];
  }
  workgroupBarrier();

  // log Σ exp z of each beam's row (logits only).
  if (p.logits != 0u) {
    for (var k = 0u; k < K; k++) {
      var m = NEG;
      for (var v = lid; v < p.V; v += WG) {
        m = max(m, probs[row_at(b, k) + v]);
      }
      let top = reduce(lid, m, true);
      var s = 0.0;
      for (var v = lid; v < p.V; v += WG) {
        s += exp(probs[row_at(b, k) + v] - top);
      }
      let total = reduce(lid, s, false);
      if (lid == 0u) {
        normalizer[k] = top + log(total);
      }
    }
    workgroupBarrier();
  }

  // K rounds: the best candidate not chosen yet.
  let count = K * p.V;
  for (var j = 0u; j < K; j++) {
    var best = NEG;
    var arg = NONE;
    for (var c = lid; c < count; c += WG) {
      var taken = false;
      for (var i = 0u; i < j; i++) {
        taken = taken || chosen[i] == c;
      }
      let s = candidate_score(b, c);
      if (!taken && (arg == NONE || s > best)) {
        best = s;
        arg = c;
      }
    }
    redF[lid] = best;
    redU[lid] = arg;
    for (var s = WG / 2u; s > 0u; s /= 2u) {
      workgroupBarrier();
      if (lid < s) {
        let other = redU[lid + s];
        let mine = redU[lid];
        if (other != NONE && (mine == NONE || redF[lid + s] > redF[lid] || (redF[lid + s] == redF[lid] && other < mine))) {
          redF[lid] = redF[lid + s];
          redU[lid] = other;
        }
      }
    }
    workgroupBarrier();
    if (lid == 0u) {
      chosen[j] = redU[0];
      chosenScore[j] = redF[0];
    }
    workgroupBarrier();
  }

  if (lid < K) {
    let c = chosen[lid];
    let score = chosenScore[lid];
    let dead = c == NONE || score <= NEG;
    let parent = select(c / p.V, 0u, dead);
    let token = select(c - (c / p.V) * p.V, 0u, dead);
    let done = dead || finished[parent] != 0.0 || token == p.end;
    let r = b * K + lid;
    beams[r] = select(score, NEG, dead);
    beams[p.B * K + r] = select(0.0, 1.0, done);
    ids[r] = f32(token);
    parentRows[r] = b * K + parent;
    history[2u * (p.historyAt + r)] = f32(token);
    history[2u * (p.historyAt + r) + 1u] = f32(parent);
  }
}

// Next-token sampling from a softmax, one workgroup a row, as src/reference/sampling.ts
// defines it (the CPU twin; the same thresholds and draw in Float64):
//   q_i = probs[row, i] where keep[i] > 0 and it is > 0, else 0; m = max q (first index of it: arg)
//   greedy, or m = 0: token = arg; with `raw` (greedy only) over the kept values as they are
//   (logits, negative or not), NaN and suppressed ones never chosen
//   w_i = exp((log q_i − log m) / temperature) (q_i / m at temperature 1), in (0, 1], 0 for q_i = 0
//   topK (1 ≤ k < V): τk = the k-th largest w (ties at it all kept), else 0
//   topP (0 < p < 1): τp = the largest w with Σ_{w_j ≥ w} w_j ≥ p·Σ_{w_j ≥ τk} w_j, else 0
//   kept: w_i ≥ max(τk, τp); K = Σ kept w; token = the first i with Σ_{j ≤ i, kept} w_j > u·K
//   u = (pcg(pcg(position) ^ pcg(pcg(seed) ^ row)) >> 8)·2^-24 ∈ [0, 1)
// Both thresholds work on the f32 bit pattern (order-preserving for w ≥ 0): τk by radix
// select (4 passes of 8 bits, counted in a workgroup histogram), τp by bisection over the
// masses' f32 sums; each is one of the w, exactly (τp up to the rounding of those sums).
// Composed after hash.wgsl (pcg).
//
// Bindings (group 0):
//   @binding(0) probs    read        row r's V probabilities from base + r·strideB
//   @binding(1) keep     read        [V] 1: may be drawn, 0: suppressed
//   @binding(2) weights  read_write  [rows, V] scratch: w
//   @binding(3) tokens   read_write  row r's token id (as f32) at out + r
//   @binding(4) p        uniform     Params
// Dispatch: (rows) workgroups of WG invocations. Invocation l reads i = l, l + WG, … for the
// sweeps; the draw sums the contiguous chunk [l·c, (l + 1)·c), c = ceil(V / WG), and
// invocation 0 scans the chunk sums in order.

struct Params {
  V: u32,
  base: u32,
  strideB: u32,
  out: u32,
  topK: u32,
  seed: u32,
  position: u32,
  greedy: u32,
  invTemperature: f32,
  topP: f32,
  raw: u32,
  pad1: u32,
}

override WG: u32 = 256; // also the histogram's 256 bins of one 8-bit digit

@group(0) @binding(0) var<storage, read> probs: array<f32>;
@group(0) @binding(1) var<storage, read> keep: array<f32>;
@group(0) @binding(2) var<storage, read_write> weights: array<f32>;
@group(0) @binding(3) var<storage, read_write> tokens: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

var<workgroup> sums: array<f32, WG>;
var<workgroup> counts: array<u32, WG>;
var<workgroup> shared_f: f32;
var<workgroup> shared_u: u32;
var<workgroup> shared_need: u32;
var<workgroup> histogram: array<atomic<u32>, WG>;

/** Bits of 1.0 plus one: no w reaches it. */
const ABOVE_ONE = 0x3f800001u;

fn masked(at: u32, i: u32) -> f32 {
  let q = probs[at + i];
  return select(0.0, q, q > 0.0 && keep[i] > 0.0); // NaN and negatives: 0
}

/** Σ over the workgroup of each invocation's `value` (tree in `sums`); the same in every invocation. */
fn sum_all(lid: u32, value: f32) -> f32 {
  sums[lid] = value;
  for (var s = WG / 2u; s > 0u; s /= 2u) {
    workgroupBarrier();
    if (lid < s) {
      sums[lid] += sums[lid + s];
    }
  }
  if (lid == 0u) {
    shared_f = sums[0];
  }
  return workgroupUniformLoad(&shared_f);
}

/** Σ of the w of the row that are ≥ bitcast(bits). */
fn mass_at_least(lid: u32, row: u32, bits: u32) -> f32 {
  let t = bitcast<f32>(bits);
  var s = 0.0;
  for (var i = lid; i < p.V; i += WG) {
    let w = weights[row * p.V + i];
    s += select(0.0, w, w >= t);
  }
  return sum_all(lid, s);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = wg.x;
  let at = p.base + row * p.strideB;

  // The largest q and its first index: (value, index) pairs by a tree.
  var best = select(-1.0, -3.4028234663852886e38, p.raw != 0u);
  var arg = 0u;
  for (var i = lid; i < p.V; i += WG) {
    var q = masked(at, i);
    if (p.raw != 0u) {
      let v = probs[at + i];
      q = select(-3.4028234663852886e38, v, keep[i] > 0.0 && v == v);
    }
    if (q > best) {
      best = q;
      arg = i;
    }
  }
  sums[lid] = best;
  counts[lid] = arg;
  for (var s = WG / 2u; s > 0u; s /= 2u) {
    workgroupBarrier();
    if (lid < s) {
      let other = sums[lid + s];
      if (other > sums[lid] || (other == sums[lid] && counts[lid + s] < counts[lid])) {
        sums[lid] = other;
        counts[lid] = counts[lid + s];
      }
    }
  }
  if (lid == 0u) {
    shared_f = sums[0];
    shared_u = counts[0];
  }
  let top = workgroupUniformLoad(&shared_f);
  let top_index = workgroupUniformLoad(&shared_u);
  if (p.greedy != 0u || p.raw != 0u || top <= 0.0) {
    if (lid == 0u) {
      tokens[p.out + row] = f32(top_index);
    }
    return;
  }

  let log_top = log(top);
  for (var i = lid; i < p.V; i += WG) {
    let q = masked(at, i);
    var w = 0.0;
    if (q > 0.0) {
      w = select(exp((log(q) - log_top) * p.invTemperature), q / top, p.invTemperature == 1.0);
    }
    weights[row * p.V + i] = w;
  }
  storageBarrier();

  // τk: the k-th largest w, by radix select on its f32 bits (order-preserving for w ≥ 0), 8
  // bits a pass from the top: each pass counts the w that share the digits chosen so far by
  // their next digit, and invocation 0 takes the digit holding the k-th largest.
  var floor_bits = 0u;
  if (p.topK >= 1u && p.topK < p.V) {
    var need = p.topK;
    for (var round = 0u; round < 4u; round++) {
      let shift = 24u - 8u * round;
      let above = select(0u, 0xffffffffu << (shift + 8u), round > 0u);
      atomicStore(&histogram[lid], 0u);
      workgroupBarrier();
      for (var i = lid; i < p.V; i += WG) {
        let bits = bitcast<u32>(weights[row * p.V + i]);
        if ((bits & above) == floor_bits) {
          atomicAdd(&histogram[(bits >> shift) & 255u], 1u);
        }
      }
      workgroupBarrier();
      if (lid == 0u) {
        var seen = 0u;
        var digit = 0u;
        for (var d = 255i; d >= 0; d--) {
          let n = atomicLoad(&histogram[u32(d)]);
          if (seen + n >= need) {
            digit = u32(d);
            break;
          }
          seen += n;
        }
        shared_u = floor_bits | (digit << shift);
        shared_need = need - seen;
      }
      floor_bits = workgroupUniformLoad(&shared_u);
      need = workgroupUniformLoad(&shared_need);
    }
  }
  // τp: the largest bits ≥ τk with mass(w ≥ bits) ≥ p·mass(w ≥ τk).
  if (p.topP > 0.0 && p.topP < 1.0) {
    let goal = p.topP * mass_at_least(lid, row, floor_bits);
    var hi = ABOVE_ONE;
    loop {
      if (hi - floor_bits <= 1u) {
        break;
      }
      let mid = floor_bits + (hi - floor_bits) / 2u;
      if (mass_at_least(lid, row, mid) >= goal) {
        floor_bits = mid;
      } else {
        hi = mid;
      }
    }
  }
  let threshold = bitcast<f32>(floor_bits);

  // The draw: each chunk's kept mass and 1 + its last kept index (0: none), then invocation 0
  // walks the chunks in order and scans the one the target falls in.
  let chunk = (p.V + WG - 1u) / WG;
  let start = min(lid * chunk, p.V);
  let end = min(start + chunk, p.V);
  var mass = 0.0;
  var last = 0u;
  for (var i = start; i < end; i++) {
    let w = weights[row * p.V + i];
    if (w > 0.0 && w >= threshold) {
      mass += w;
      last = i + 1u;
    }
  }
  sums[lid] = mass;
  counts[lid] = last;
  workgroupBarrier();
  if (lid == 0u) {
    var total = 0.0;
    for (var l = 0u; l < WG; l++) {
      total += sums[l];
    }
    let u = f32(pcg(pcg(p.position) ^ pcg(pcg(p.seed) ^ row)) >> 8u) * 5.9604644775390625e-8;
    let target_mass = u * total;
    var token = top_index;
    var cumulative = 0.0;
    for (var l = 0u; l < WG; l++) {
      if (counts[l] == 0u) {
        continue;
      }
      // The last kept token so far: the draw where rounding leaves the target past the end.
      token = counts[l] - 1u;
      if (cumulative + sums[l] <= target_mass) {
        cumulative += sums[l];
        continue;
      }
      var crossed = false;
      for (var i = l * chunk; i < counts[l]; i++) {
        let w = weights[row * p.V + i];
        if (w > 0.0 && w >= threshold) {
          cumulative += w;
          if (cumulative > target_mass) {
            token = i;
            crossed = true;
            break;
          }
        }
      }
      if (crossed) {
        break;
      }
    }
    tokens[p.out + row] = f32(token);
  }
}

// Gradient control: each gradient's sum of squares, a non-finite check of the gradients and
// the loss, and the clipping factor of each gradient. Two phases, chosen by PHASE; each
// gradient gets one partials dispatch, then one finalize dispatch covers them all.
//
// PHASE 0 — partials of gradient w:
//   @binding(0) src   read        [p.size]  the gradient
//   @binding(1) loss  read        (unused in this phase)
//   @binding(2) dst   read_write  partials [weights·PARTIALS·2]; this phase writes the pairs
//                                 (Σg², any non-finite ? 1 : 0) at p.outOffset + 2·k, k < PARTIALS
//   @binding(3) p     uniform     Params
//   Dispatch: (p.groups) ≤ PARTIALS workgroups of WG; workgroup k reduces the elements
//   k·WG + t + j·p.groups·WG. Workgroup 0 also zeroes the pairs k in [p.groups, PARTIALS).
//
// PHASE 1 — finalize (WG = PARTIALS):
//   @binding(0) src   read        partials, as written above, gradient w at w·PARTIALS·2
//   @binding(1) loss  read        [..]  loss[p.lossIndex] is checked
//   @binding(2) dst   read_write  control [1 + p.count]
//   @binding(3) p     uniform     Params
//   Dispatch: (1). The workgroup reduces each gradient's partials; invocation 0 then writes
//   control[1 + w] = the factor of gradient w:
//     p.mode 0: 1;  1 (clipnorm): c / max(‖g_w‖, c);  2 (globalClipnorm): c / max(‖g‖_all, c)
//   and sets control[0] = 1 if the loss, any Σg_w² (or, in mode 2, their total) is NaN or ±∞.
//   control[0] is never cleared here: the status is sticky until the host writes 0.
//
// Non-finite values are found from their bits (exponent all ones), not by float comparisons
// that a compiler may assume never see NaN. A sum of squares that overflows f32
// (‖g‖ ≳ 1.8e19) counts as non-finite.

struct Params {
  size: u32,
  outOffset: u32,
  groups: u32,
  count: u32,
  lossIndex: u32,
  mode: u32,
  clipnorm: f32,
  _pad: u32,
}

override WG: u32 = 256;
override PARTIALS: u32 = 64;
override PHASE: u32 = 0u;

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read> loss: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

var<workgroup> sums: array<f32, WG>;
var<workgroup> flags: array<u32, WG>;

fn nonFinite(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u;
}

// Tree reduction of sums[] (+) and flags[] (|) over the workgroup into element 0.
fn reduce(t: u32) {
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (t < s) {
      sums[t] = sums[t] + sums[t + s];
      flags[t] = flags[t] | flags[t + s];
    }
    workgroupBarrier();
  }
}

fn partials(k: u32, t: u32) {
  var acc = 0.0;
  var bad = 0u;
  let stride = p.groups * WG;
  for (var i = k * WG + t; i < p.size; i += stride) {
    let x = src[i];
    bad = bad | select(0u, 1u, nonFinite(x));
    acc = fma(x, x, acc);
  }
  sums[t] = acc;
  flags[t] = bad;
  reduce(t);
  if (t == 0u) {
    dst[p.outOffset + 2u * k] = sums[0];
    dst[p.outOffset + 2u * k + 1u] = f32(flags[0]);
  }
  if (k == 0u) {
    for (var j = p.groups + t; j < PARTIALS; j += WG) {
      dst[p.outOffset + 2u * j] = 0.0;
      dst[p.outOffset + 2u * j + 1u] = 0.0;
    }
  }
}

fn finalize(t: u32) {
  var bad = false;
  var total = 0.0;
  for (var w = 0u; w < p.count; w++) {
    let at = (w * PARTIALS + t) * 2u;
    sums[t] = src[at];
    flags[t] = select(0u, 1u, src[at + 1u] != 0.0);
    reduce(t);
    if (t == 0u) {
      let sumsq = sums[0];
      bad = bad || flags[0] != 0u || nonFinite(sumsq);
      total += sumsq;
      dst[1u + w] = sumsq; // read back below, by this same invocation
    }
    workgroupBarrier();
  }
  if (t != 0u) {
    return;
  }
  bad = bad || nonFinite(loss[p.lossIndex]);
  if (p.mode == 2u) {
    bad = bad || nonFinite(total);
  }
  let c = p.clipnorm;
  for (var w = 0u; w < p.count; w++) {
    var factor = 1.0;
    if (p.mode == 1u) {
      factor = c / max(sqrt(dst[1u + w]), c);
    } else if (p.mode == 2u) {
      factor = c / max(sqrt(total), c);
    }
    dst[1u + w] = factor;
  }
  if (bad) {
    dst[0] = 1.0;
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  if (PHASE == 0u) {
    partials(wg.x, lid.x);
  } else {
    finalize(lid.x);
  }
}

// The loss rows' weights of a masked sequence output (Keras 3's apply_mask): with m the mask
// and valid = Σm, each loss row r = (b, t) weighs
//   lossWeights[r]   = m[b, t]·rows/valid · (WEIGHTED: sampleWeights[r], else 1)
//   metricWeights[r] = m[b, t]·rows/valid
// so that the mean over rows of the loss and metrics kernel (loss.wgsl) is Σ m·w·loss / valid
// and Σ m·metric / valid; every weight is 0 when valid = 0. Rows are in the output's order:
// r = t·B + b when timeMajor, else b·T + t. valid is a sum of 0/1 values: exact in f32 below 2^24.
//
// Bindings (group 0):
//   @binding(0) mask           read        [B, T] f32 1/0, batch-major
//   @binding(1) sampleWeights  read        [rows] (WEIGHTED), in the rows' order
//   @binding(2) lossWeights    read_write  [rows]
//   @binding(3) metricWeights  read_write  [rows]
//   @binding(4) p              uniform     { B, T, timeMajor, _ }
// Dispatch: (1) workgroup of WG: a strided partial sum of the mask, a tree, then the strided writes.

struct Params {
  B: u32,
  T: u32,
  timeMajor: u32,
  _pad: u32,
}

override WG: u32 = 256;
override WEIGHTED: bool = false;

@group(0) @binding(0) var<storage, read> mask: array<f32>;
@group(0) @binding(1) var<storage, read> sampleWeights: array<f32>;
@group(0) @binding(2) var<storage, read_write> lossWeights: array<f32>;
@group(0) @binding(3) var<storage, read_write> metricWeights: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  let rows = p.B * p.T;
  var s = 0.0;
  for (var i = lid; i < rows; i += WG) {
    s += mask[i];
  }
  partial[lid] = s;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k /= 2u) {
    if (lid < k) {
      partial[lid] += partial[lid + k];
    }
    workgroupBarrier();
  }
  let valid = partial[0];
  let scale = select(0.0, f32(rows) / valid, valid > 0.0);
  for (var r = lid; r < rows; r += WG) {
    var b = r / p.T;
    var t = r - b * p.T;
    if (p.timeMajor != 0u) {
      t = r / p.B;
      b = r - t * p.B;
    }
    let m = mask[b * p.T + t] * scale;
    metricWeights[r] = m;
    if (WEIGHTED) {
      lossWeights[r] = m * sampleWeights[r];
    } else {
      lossWeights[r] = m;
    }
  }
}

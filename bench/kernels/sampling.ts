// Generation's draw (sample_token: temperature, top-k, top-p over softmax rows), a beam-search
// step (beam_select) and the masked loss's row weights (mask_weights), each against its CPU twin.
import { samplingUniform } from '../../src/init/samplingStream.js';
import { encodeBeamSelect } from '../../src/kernels/beamSelect.js';
import { encodeMaskWeights } from '../../src/kernels/maskWeights.js';
import { encodeSampleToken } from '../../src/kernels/sampleToken.js';
import { beamStep } from '../../src/reference/beamSearch.js';
import { maskedRowWeights } from '../../src/reference/losses.js';
import { sampleToken } from '../../src/reference/sampling.js';
import { defineBench, upload } from './harness.js';

interface SampleCase {
  rows: number;
  V: number;
}

export const sampleTokenBench = defineBench<SampleCase>({
  name: 'sample_token',
  what: 'encodeSampleToken (temperature 0.8, top-k 40, top-p 0.9) vs reference sampleToken',
  cases: (quick) =>
    quick
      ? [
          { rows: 1, V: 96 },
          { rows: 8, V: 10_000 },
        ]
      : [
          { rows: 1, V: 50_000 },
          { rows: 64, V: 32_000 },
        ],
  label: ({ rows, V }) => `[${rows}×${V}]`,
  prepare(gpu, { rows, V }, random) {
    // Distinct probabilities (a shuffled cubic grid, normalized), so top-k's threshold is never a near-tie.
    const probs = new Float32Array(rows * V);
    for (let r = 0; r < rows; r++) {
      const order = Array.from({ length: V }, (_, i) => i).sort(() => random.next() - 0.5);
      const total = order.reduce((s, o) => s + (1 + o) ** 3, 0);
      order.forEach((o, i) => (probs[r * V + i] = (1 + o) ** 3 / total));
    }
    const keep = new Float32Array(V).fill(1);
    const rule = { temperature: 0.8, topK: 40, topP: 0.9, seed: 7, position: 3 };
    const buffers = { probs: upload(gpu, probs), keep: upload(gpu, keep), weights: upload(gpu, rows * V), tokens: upload(gpu, rows) };
    return {
      encode: (pass, run) => encodeSampleToken(gpu, pass, run, { ...buffers, base: 0, strideB: V, rows, V, out: 0, ...rule }),
      dispatches: 1,
      // The max, a log and an exp an element, 4 counting (top-k's radix select) and 31 summing
      // (top-p's bisection) sweeps, the draw's: ~39 reads and ~45 FLOPs an element.
      flops: 45 * rows * V,
      bytes: 4 * 39 * rows * V,
      expected: () => [
        {
          name: 'tokens',
          buffer: buffers.tokens,
          // The twin's token, exactly: the distinct probabilities keep every decision clear of f32 rounding.
          expected: Array.from(
            { length: rows },
            (_, r) => sampleToken(probs.subarray(r * V, (r + 1) * V), rule, samplingUniform(rule.seed, r, rule.position)).token,
          ),
          atol: 0,
          rtol: 0,
        },
      ],
      buffers: Object.values(buffers),
    };
  },
});

interface MaskCase {
  B: number;
  T: number;
}

export const maskWeightsBench = defineBench<MaskCase>({
  name: 'mask_weights',
  what: 'encodeMaskWeights (time-major rows, with sample weights) vs reference maskedRowWeights',
  cases: (quick) => (quick ? [{ B: 32, T: 100 }] : [{ B: 64, T: 500 }]),
  label: ({ B, T }) => `[${B}×${T}]`,
  prepare(gpu, { B, T }, random) {
    const rows = B * T;
    // Post-padded: sample b keeps its first 1 + (b·7 mod T) steps.
    const mask = Float32Array.from({ length: rows }, (_, i) => (i % T <= (Math.floor(i / T) * 7) % T ? 1 : 0));
    const sampleWeights = random.uniformArray(rows, 0, 2); // in the rows' (time-major) order
    const buffers = { mask: upload(gpu, mask), sampleWeights: upload(gpu, sampleWeights), lossWeights: upload(gpu, rows), metricWeights: upload(gpu, rows) };
    return {
      encode: (pass, run) => encodeMaskWeights(gpu, pass, run, { ...buffers, B, T, timeMajor: true }),
      dispatches: 1,
      flops: 4 * rows,
      bytes: 4 * 5 * rows,
      expected() {
        // Row r = t·B + b reads mask[b, t]: the twin takes the mask in the rows' order.
        const rowMask = Float32Array.from({ length: rows }, (_, r) => mask[(r % B) * T + Math.floor(r / B)]);
        const { lossWeights, metricWeights } = maskedRowWeights(rowMask, sampleWeights);
        // One rounding of rows/Σm (Σm a count: exact) and one of the product: 2 ulp.
        return [
          { name: 'lossWeights', buffer: buffers.lossWeights, expected: lossWeights, atol: 0, rtol: 2.4e-7 },
          { name: 'metricWeights', buffer: buffers.metricWeights, expected: metricWeights, atol: 0, rtol: 1.2e-7 },
        ];
      },
      buffers: Object.values(buffers),
    };
  },
});

interface BeamCase {
  B: number;
  K: number;
  V: number;
}

export const beamSelectBench = defineBench<BeamCase>({
  name: 'beam_select',
  what: 'encodeBeamSelect (one beam-search step over probabilities) vs reference beamStep',
  cases: (quick) => (quick ? [{ B: 4, K: 4, V: 100 }] : [{ B: 64, K: 8, V: 10_000 }]),
  label: ({ B, K, V }) => `B=${B} K=${K} V=${V}`,
  prepare(gpu, { B, K, V }, random) {
    const R = B * K;
    const probs = random.uniformArray(R * V, 0.01, 1);
    const scores = Float32Array.from({ length: R }, () => -random.uniform(0, 5));
    const beams = new Float32Array(2 * R);
    beams.set(scores);
    const buffers = { probs: upload(gpu, probs), beams: upload(gpu, beams), ids: upload(gpu, R), history: upload(gpu, 2 * R), parentRows: upload(gpu, R) };
    return {
      encode: (pass, run) =>
        encodeBeamSelect(gpu, pass, run, { ...buffers, base: 0, strideB: V, B, K, V, logits: false, historyAt: 0, endToken: 1, first: false }),
      dispatches: 1,
      // K rounds over K·V candidates a row: a log, an add and ≤ K + 1 comparisons each.
      flops: B * K * K * V * (K + 2),
      bytes: 4 * (B * K * K * V + 7 * R),
      expected() {
        // Distinct random scores: the twin's choice exactly (the tokens); the scores to f32 rounding of a log and an add.
        const tokens: number[] = [];
        for (let b = 0; b < B; b++) {
          const rows = Array.from({ length: K }, (_, k) => probs.subarray((b * K + k) * V, (b * K + k + 1) * V));
          const step = beamStep(
            rows,
            { scores: Float64Array.from(scores.subarray(b * K, (b + 1) * K)), finished: new Uint8Array(K) },
            { endToken: 1, first: false, logits: false },
          );
          tokens.push(...step.tokens);
        }
        return [{ name: 'ids', buffer: buffers.ids, expected: tokens, atol: 0, rtol: 0 }];
      },
      buffers: Object.values(buffers),
    };
  },
});

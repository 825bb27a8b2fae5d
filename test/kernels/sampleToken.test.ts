// The sampling kernel of generation against its Float64 twin (reference/sampling) on seeded
// softmax rows: greedy, temperature, top-k, top-p, suppressed tokens, one row and several,
// vocabularies that are not multiples of the 256-invocation workgroup.
import { describe, expect, test } from 'vitest';
import { tensor } from '../../src/index.js';
import { samplingUniform } from '../../src/init/samplingStream.js';
import { Random } from '../../src/init/random.js';
import { encodeSampleToken } from '../../src/kernels/sampleToken.js';
import { sampleToken, type SamplingRule } from '../../src/reference/sampling.js';
import { readBuffer, runPass, useGpu } from '../helpers/gpu.js';

const env = useGpu();

/**
 * Rows of distinct probabilities (a shuffled grid, some zeros) so that top-k's threshold is
 * never a near-tie: p ∝ (1 + perm_i)^3, zero for every seventh token.
 */
function softmaxRows(rows: number, V: number, random: Random): Float32Array {
  const out = new Float32Array(rows * V);
  for (let r = 0; r < rows; r++) {
    const order = Array.from({ length: V }, (_, i) => i).sort(() => random.next() - 0.5);
    let total = 0;
    for (let i = 0; i < V; i++) total += order[i] % 7 === 6 ? 0 : (1 + order[i]) ** 3;
    for (let i = 0; i < V; i++) out[r * V + i] = order[i] % 7 === 6 ? 0 : (1 + order[i]) ** 3 / total;
  }
  return out;
}

/**
 * The GPU's draws may differ from the twin's only where the Float64 sums lie within the f32
 * rounding of a decision: weights carry log/exp error ≤ ~1e-5 relative (WGSL: log within
 * 2⁻²¹ absolute near 1 and 3 ulp elsewhere, exp within 3 + 2|x| ulp, |x| ≤ 30), and sums of
 * V ≤ 1000 terms ≤ V·2⁻²⁴ ≈ 6e-5 relative. So the GPU's token must be one whose interval
 * comes within 2e-4 of the mass of the twin's target, and a kept set whose decisions lie
 * within that of flipping is not compared.
 */
const MARGIN = 2e-4;

const RULES: [string, SamplingRule][] = [
  ['greedy', { temperature: 0 }],
  ['temperature 1', { temperature: 1 }],
  ['temperature 0.5', { temperature: 0.5 }],
  ['temperature 2', { temperature: 2 }],
  ['top-k 1', { temperature: 1, topK: 1 }],
  ['top-k 5', { temperature: 0.8, topK: 5 }],
  ['top-p 0.5', { temperature: 1, topP: 0.5 }],
  ['top-k 10 and top-p 0.9', { temperature: 1.3, topK: 10, topP: 0.9 }],
  ['raw greedy', { temperature: 1, raw: true }],
];

describe('sample token', () => {
  test.each([
    [1, 1],
    [1, 7],
    [3, 300],
    [2, 1000],
  ])('rows=%i V=%i', async (rows, V) => {
    const { gpu } = env;
    const random = new Random(rows * 1000 + V);
    let compared = 0;
    let drawn = 0;
    let exact = 0;
    for (const [name, rule] of RULES) {
      for (let draw = 0; draw < 12; draw++) {
        // Raw: logits, most of them negative.
        const probs = rule.raw ? softmaxRows(rows, V, random).map((p) => Math.log(p + 1e-9) - 3) : softmaxRows(rows, V, random);
        const keep = Float32Array.from({ length: V }, (_, i) => (V > 4 && i % 5 === 2 ? 0 : 1));
        const seed = 1234 + draw;
        const position = draw * 3;
        // At an offset, rows strided by V + 3, written after two ids already there.
        const stride = V + 3;
        const padded = new Float32Array(5 + rows * stride);
        for (let r = 0; r < rows; r++) padded.set(probs.subarray(r * V, (r + 1) * V), 5 + r * stride);
        const [tp, tk, tw, tt] = [
          tensor(gpu, padded, [padded.length]),
          tensor(gpu, keep, [V]),
          tensor(gpu, new Float32Array(rows * V), [rows * V]),
          tensor(gpu, new Float32Array(rows + 2).fill(-1), [rows + 2]),
        ];
        await runPass(gpu, (pass, run) =>
          encodeSampleToken(gpu, pass, run, {
            ...rule,
            probs: tp.buffer,
            base: 5,
            strideB: stride,
            rows,
            V,
            keep: tk.buffer,
            weights: tw.buffer,
            tokens: tt.buffer,
            out: 2,
            seed,
            position,
          }),
        );
        const tokens = await readBuffer(gpu, tt.buffer, rows + 2);
        for (const t of [tp, tk, tw, tt]) t.dispose();
        expect([tokens[0], tokens[1]]).toEqual([-1, -1]);
        for (let r = 0; r < rows; r++) {
          const expected = sampleToken(probs.subarray(r * V, (r + 1) * V), { ...rule, keep }, samplingUniform(seed, r, position));
          drawn++;
          if (expected.thresholdMargin < MARGIN) continue;
          compared++;
          const candidates = expected.near(MARGIN);
          expect(candidates, `${name}, draw ${draw}, row ${r}: got ${tokens[2 + r]}, twin ${expected.token}`).toContain(tokens[2 + r]);
          if (candidates.length === 1) exact++;
          expect(keep[tokens[2 + r]] > 0 || V <= 4, 'a suppressed token').toBe(true);
        }
      }
    }
    // Near-ties of the kept set are rare, and most draws have one candidate.
    expect(compared).toBeGreaterThanOrEqual(drawn * 0.95);
    expect(exact).toBeGreaterThanOrEqual(compared * 0.6);
  });
});

describe('sample token twin', () => {
  test('top-k keeps the k likeliest, top-p the smallest set holding p of the mass', () => {
    const probs = [0.05, 0.4, 0.1, 0.3, 0.15];
    const draws = (rule: SamplingRule) => new Set(Array.from({ length: 400 }, (_, i) => sampleToken(probs, rule, (i + 0.5) / 400).token));
    expect(draws({ temperature: 1, topK: 2 })).toEqual(new Set([1, 3]));
    expect(draws({ temperature: 1, topP: 0.7 })).toEqual(new Set([1, 3]));
    expect(draws({ temperature: 1, topP: 0.71 })).toEqual(new Set([1, 3, 4]));
    expect(draws({ temperature: 1, keep: [1, 0, 1, 1, 1] })).toEqual(new Set([0, 2, 3, 4]));
    expect(sampleToken(probs, { temperature: 0 }, 0.99).token).toBe(1);
    // Temperature 1 draws each token with its probability: u's share of [0, 1) per token.
    const counts = new Array(5).fill(0);
    for (let i = 0; i < 1000; i++) counts[sampleToken(probs, { temperature: 1 }, (i + 0.5) / 1000).token]++;
    expect(counts).toEqual([50, 400, 100, 300, 150]);
  });
});

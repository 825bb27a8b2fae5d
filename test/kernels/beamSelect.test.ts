// The beam-search step kernel against its Float64 twin (reference/beamSearch) on seeded rows:
// probabilities and logits, the first step (one live beam), finished and dead beams, an end
// token, one source row and several, K = 1 … 5, vocabularies below K and not multiples of 256.
import { describe, expect, test } from 'vitest';
import { tensor } from '../../src/index.js';
import { Random } from '../../src/init/random.js';
import { encodeBeamSelect } from '../../src/kernels/beamSelect.js';
import { beamStep } from '../../src/reference/beamSearch.js';
import { softmax } from '../../src/reference/losses.js';
import { readBuffer, runPass, useGpu } from '../helpers/gpu.js';

const env = useGpu();

/**
 * Candidates are compared in f32 on the GPU: a score of magnitude ≤ ~20 carries the rounding of
 * one add and of WGSL's log (≤ 3 ulp, or 2⁻²¹ absolute near 1) or log-sum-exp (≤ V terms):
 * ≲ 1e-5 absolute. A step whose K + 1 best candidates lie closer than 1e-4 is not compared.
 */
const MARGIN = 1e-4;

describe('beam select', () => {
  test.each([
    [1, 1, 7, false, false],
    [3, 3, 300, false, true],
    [2, 5, 4, true, false],
    [1, 4, 301, true, true],
  ])('B=%i K=%i V=%i logits=%s first=%s', async (B, K, V, logits, first) => {
    const { gpu } = env;
    const random = new Random(B * 100 + K * 10 + V);
    let compared = 0;
    for (let draw = 0; draw < 8; draw++) {
      const z = random.uniformArray(B * K * V, -3, 3);
      const rows = logits ? z : Float32Array.from(softmax(z, B * K, V));
      const scores = Float32Array.from({ length: B * K }, () => -random.uniform(0, 8));
      const finished = Float32Array.from({ length: B * K }, (_, r) => (!first && r % 4 === 1 ? 1 : 0));
      if (!first && B * K > 3) scores[3] = -3.4028234663852886e38; // a dead beam
      const endToken = V > 2 ? 2 : undefined;
      const beams = new Float32Array(2 * B * K);
      beams.set(scores, 0);
      beams.set(finished, B * K);
      const historyAt = 5;
      const [tp, tb, ti, th, tr] = [
        tensor(gpu, rows, [rows.length]),
        tensor(gpu, beams, [beams.length]),
        tensor(gpu, new Float32Array(B * K), [B * K]),
        tensor(gpu, new Float32Array(2 * (historyAt + B * K)), [2 * (historyAt + B * K)]),
        tensor(gpu, new Float32Array(B * K), [B * K]),
      ];
      await runPass(gpu, (pass, run) =>
        encodeBeamSelect(gpu, pass, run, {
          probs: tp.buffer,
          base: 0,
          strideB: V,
          B,
          K,
          V,
          logits,
          beams: tb.buffer,
          ids: ti.buffer,
          history: th.buffer,
          historyAt,
          parentRows: tr.buffer,
          endToken,
          first,
        }),
      );
      const [gotBeams, gotIds, gotHistory, rowsBuffer] = [
        await readBuffer(gpu, tb.buffer, 2 * B * K),
        await readBuffer(gpu, ti.buffer, B * K),
        await readBuffer(gpu, th.buffer, 2 * B * K, 2 * historyAt),
        await readBuffer(gpu, tr.buffer, B * K),
      ];
      const parentRows = new Uint32Array(rowsBuffer.buffer);
      for (const t of [tp, tb, ti, th, tr]) t.dispose();
      for (let b = 0; b < B; b++) {
        const at = (r: number) => rows.subarray((b * K + r) * V, (b * K + r + 1) * V);
        const state = {
          scores: Float64Array.from({ length: K }, (_, k) => (scores[b * K + k] <= -3.4e38 ? -Infinity : scores[b * K + k])),
          finished: Uint8Array.from({ length: K }, (_, k) => finished[b * K + k]),
        };
        const expected = beamStep(
          Array.from({ length: K }, (_, k) => at(k)),
          state,
          { endToken, first, logits },
        );
        if (expected.margin < MARGIN) continue;
        compared++;
        for (let j = 0; j < K; j++) {
          const r = b * K + j;
          const what = `row ${b}, beam ${j}, draw ${draw}`;
          expect(gotIds[r], what).toBe(expected.tokens[j]);
          expect([gotHistory[2 * r], gotHistory[2 * r + 1]], what).toEqual([expected.tokens[j], expected.parents[j]]);
          expect(parentRows[r], what).toBe(b * K + expected.parents[j]);
          expect(gotBeams[B * K + r], what).toBe(expected.finished[j]);
          if (expected.scores[j] === -Infinity) expect(gotBeams[r], what).toBeLessThanOrEqual(-3.4e38);
          else expect(Math.abs(gotBeams[r] - expected.scores[j]), what).toBeLessThan(1e-5 * (1 + Math.abs(expected.scores[j])));
        }
      }
    }
    expect(compared).toBeGreaterThanOrEqual(B * 8 * 0.9);
  });
});

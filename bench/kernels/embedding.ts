// The Embedding's kernels: the lookup, and its gradient both ways — the compare-exchange
// scatter-add (embedding_scatter_add) and the deterministic sort + segment sums
// (embedding_sort, the default), on the same ids and dY, so the two timings say what the
// determinism costs.
import { encodeEmbeddingGather, encodeEmbeddingScatterAdd } from '../../src/kernels/embedding.js';
import { encodeEmbeddingSortedGradient, sortDispatches } from '../../src/kernels/embeddingSorted.js';
import { embeddingBackward, embeddingForward } from '../../src/reference/embedding.js';
import type { Random } from '../../src/init/random.js';
import { defineBench, upload } from './harness.js';

/** ids [B, T] of a vocabulary V, rows of E. */
interface EmbeddingCase {
  V: number;
  E: number;
  B: number;
  T: number;
}

const label = ({ V, E, B, T }: EmbeddingCase) => `V=${V} E=${E} [${B}×${T}]`;
// A character model (few ids, many repeats) and a word model (a large vocabulary).
const cases = (quick: boolean): EmbeddingCase[] =>
  quick
    ? [
        { V: 64, E: 32, B: 16, T: 64 },
        { V: 10_000, E: 64, B: 8, T: 100 },
      ]
    : [
        { V: 96, E: 64, B: 64, T: 200 },
        { V: 20_000, E: 128, B: 32, T: 400 },
      ];

function ids(random: Random, { V, B, T }: EmbeddingCase): Float32Array {
  return Float32Array.from({ length: B * T }, () => random.int(V));
}

export const embeddingGather = defineBench<EmbeddingCase>({
  name: 'embedding_gather',
  what: 'encodeEmbeddingGather vs reference embeddingForward',
  cases,
  label,
  prepare(gpu, c, random) {
    const [x, table] = [ids(random, c), random.uniformArray(c.V * c.E)];
    const rows = c.B * c.T;
    const buffers = { ids: upload(gpu, x), table: upload(gpu, table), y: upload(gpu, rows * c.E) };
    return {
      encode: (pass, run) => encodeEmbeddingGather(gpu, pass, run, { ...buffers, rows, E: c.E, V: c.V }),
      dispatches: 1,
      // A copy: reads the ids and the rows, writes y.
      flops: 0,
      bytes: 4 * (rows + 2 * rows * c.E),
      expected: () => [{ name: 'y', buffer: buffers.y, expected: embeddingForward(x, table, c.V, c.E), atol: 0, rtol: 0 }],
      buffers: Object.values(buffers),
    };
  },
});

/** The gradient's bench by one variant; the check holds both to the sums' rounding bound. */
function gradientBench(name: string, what: string, sorted: boolean) {
  return defineBench<EmbeddingCase>({
    name,
    what,
    cases,
    label,
    prepare(gpu, c, random) {
      const [x, dY] = [ids(random, c), random.uniformArray(c.B * c.T * c.E)];
      const buffers = { ids: upload(gpu, x), dY: upload(gpu, dY), dW: upload(gpu, c.V * c.E) };
      const n = c.B * c.T;
      return {
        encode: (pass, run) => (sorted ? encodeEmbeddingSortedGradient : encodeEmbeddingScatterAdd)(gpu, pass, run, { ...buffers, timeMajor: false, ...c }),
        dispatches: sorted ? sortDispatches(n) + 1 : 1,
        // One add a dY value; reads the ids and dY, reads and writes the dW rows used (the sort
        // moves its 8-byte keys once a dispatch on top).
        flops: n * c.E,
        bytes: 4 * (n + 3 * n * c.E),
        expected() {
          // Sums of ≤ n terms in ±1, any order: ≤ (n−1)·2⁻²⁴·Σ|terms| ≤ n²·6e-8 at worst; the
          // expected repeats here (n / V rows an id) make it ~(n/V)^1.5·6e-8.
          const repeats = Math.max(1, n / c.V);
          return [{ name: 'dW', buffer: buffers.dW, expected: embeddingBackward(x, dY, c.V, c.E), atol: 4 * repeats ** 1.5 * 2 ** -24 + 1e-6, rtol: 1e-5 }];
        },
        buffers: Object.values(buffers),
      };
    },
  });
}

export const embeddingScatterAdd = gradientBench('embedding_scatter_add', 'encodeEmbeddingScatterAdd (compare-exchange) vs reference embeddingBackward', false);
export const embeddingSortedGradient = gradientBench(
  'embedding_sort',
  'encodeEmbeddingSortedGradient (bitonic sort, segment sums) vs reference embeddingBackward',
  true,
);

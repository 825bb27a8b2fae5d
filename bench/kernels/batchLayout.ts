// The batch's layout kernels: sequence_layout (a recurrent layer's time-major [T, B, H] output
// to batch-major [B, T, H], and a batch-major input to time-major) and gather_rows (a training
// batch's samples, by a shuffled index, from the data set on the GPU). Copies, checked exactly.
import { encodeGatherRows } from '../../src/kernels/gatherRows.js';
import { encodeBatchToTimeMajor, encodeTimeToBatchMajor } from '../../src/kernels/sequenceLayout.js';
import { toBatchMajor } from '../../src/reference/math.js';
import { gatherRows as gatherRowsTwin } from '../../src/reference/layout.js';
import { defineBench, unwritten, upload } from './harness.js';

interface LayoutCase {
  T: number;
  B: number;
  H: number;
  to: 'batch-major' | 'time-major';
}

export const sequenceLayout = defineBench<LayoutCase>({
  name: 'sequence_layout',
  what: 'encodeTimeToBatchMajor, encodeBatchToTimeMajor vs reference toBatchMajor',
  cases: (quick) =>
    (quick ? [{ T: 50, B: 8, H: 128 }] : [{ T: 200, B: 64, H: 256 }]).flatMap((s) => (['batch-major', 'time-major'] as const).map((to) => ({ ...s, to }))),
  label: ({ T, B, H, to }) => `to ${to} T=${T} B=${B} H=${H}`,
  prepare(gpu, { T, B, H, to }, random) {
    const n = T * B * H;
    // To batch-major: an LSTM's hseq [T+1, B, H], its steps after slot 0 (h0), as returnSequences
    // reads it. To time-major: a batch-major input [B, T, H] from element 0.
    const toBatch = to === 'batch-major';
    const srcOffset = toBatch ? B * H : 0;
    const src = random.uniformArray(srcOffset + n);
    const buffers = { src: upload(gpu, src), y: unwritten(gpu, n) };
    return {
      encode: (pass, run) => (toBatch ? encodeTimeToBatchMajor : encodeBatchToTimeMajor)(gpu, pass, run, { ...buffers, srcOffset, T, B, H }),
      dispatches: 1,
      // A copy: reads n values, writes n.
      flops: 0,
      bytes: 8 * n,
      expected() {
        const values = src.subarray(srcOffset);
        // toBatchMajor with T and B swapped reads a batch-major array as time-major [B, T, H]
        // and writes it as [T, B, H]: the inverse layout change. A copy: exact.
        return [{ name: 'y', buffer: buffers.y, expected: toBatch ? toBatchMajor(values, B, T, H) : toBatchMajor(values, T, B, H), atol: 0, rtol: 0 }];
      },
      buffers: Object.values(buffers),
    };
  },
});

interface GatherCase {
  /** The data set: N samples of srcT steps of F values. */
  N: number;
  srcT: number;
  F: number;
  /** The batch: samples idx[B … 2B) (the epoch's second), steps t0 … t0+T. */
  B: number;
  T: number;
  t0: number;
  timeMajor: boolean;
}

export const gatherRows = defineBench<GatherCase>({
  name: 'gather_rows',
  what: 'encodeGatherRows vs reference gatherRows',
  // A truncated-BPTT window of a time series' inputs (batch-major, as the first layer reads
  // them) and its per-step targets (F = 1, time-major as the recurrent output's loss rows).
  cases: (quick) =>
    (quick ? [{ N: 256, srcT: 100, B: 32, T: 50, t0: 25 }] : [{ N: 4096, srcT: 400, B: 64, T: 200, t0: 100 }]).flatMap((s) => [
      { ...s, F: 8, timeMajor: false },
      { ...s, F: 1, timeMajor: true },
    ]),
  label: ({ N, srcT, F, B, T, t0, timeMajor }) => `[${N}×${srcT}×${F}] → B=${B} steps ${t0}…${t0 + T - 1}${timeMajor ? ' time-major' : ''}`,
  prepare(gpu, { N, srcT, F, B, T, t0, timeMajor }, random) {
    const src = random.uniformArray(N * srcT * F);
    const order = random.shuffle(Uint32Array.from({ length: N }, (_, i) => i));
    const n = B * T * F;
    // The index is u32 (its bits written as they are).
    const buffers = { src: upload(gpu, src), idx: upload(gpu, N), out: unwritten(gpu, n) };
    gpu.device.queue.writeBuffer(buffers.idx, 0, order);
    const start = B;
    return {
      encode: (pass, run) => encodeGatherRows(gpu, pass, run, { ...buffers, start, B, T, F, timeMajor, srcT, t0 }),
      dispatches: 1,
      // A copy: reads B indices and n values, writes n.
      flops: 0,
      bytes: 4 * (B + 2 * n),
      expected() {
        const out = gatherRowsTwin(src, order, { start, B, T, F, srcT, t0, timeMajor });
        // A copy: exact.
        return [{ name: 'out', buffer: buffers.out, expected: out, atol: 0, rtol: 0 }];
      },
      buffers: Object.values(buffers),
    };
  },
});

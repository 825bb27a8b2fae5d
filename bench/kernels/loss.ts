// loss: the head's loss value and gradient (two dispatches: a per-row pass, one reducing workgroup).
import { encodeLoss, type HeadActivation, type LossName } from '../../src/kernels/loss.js';
import { lossForward, softmax } from '../../src/reference/losses.js';
import { defineBench, upload } from './harness.js';

interface LossCase {
  loss: LossName;
  head: HeadActivation;
  rows: number;
  cols: number;
}

export const lossBench = defineBench<LossCase>({
  name: 'loss',
  what: 'encodeLoss (loss and gradient, no metrics) vs reference lossForward',
  // Regression (MSE on a linear head) and classification (softmax + cross-entropy, the fused gradient).
  cases: (quick) => {
    const rows = quick ? [1_000] : [6_400, 102_400];
    return rows.flatMap((r) => [
      { loss: 'meanSquaredError', head: 'linear', rows: r, cols: 1 },
      { loss: 'categoricalCrossentropy', head: 'softmax', rows: r, cols: quick ? 37 : 100 },
    ]);
  },
  label: ({ loss, head, rows, cols }) => `${loss} ${head} [${rows}×${cols}]`,
  prepare(gpu, { loss, head, rows, cols }, random) {
    const n = rows * cols;
    // yPred: uniform in ±1 (linear), or the softmax of logits in ±4; yTrue: uniform in ±1, or one-hot rows.
    const z = random.uniformArray(n, head === 'softmax' ? -4 : -1, head === 'softmax' ? 4 : 1);
    const yPred = head === 'softmax' ? Float32Array.from(softmax(z, rows, cols)) : z;
    const yTrue = head === 'softmax' ? new Float32Array(n) : random.uniformArray(n);
    if (head === 'softmax') for (let r = 0; r < rows; r++) yTrue[r * cols + random.int(cols)] = 1;
    const buffers = { yPred: upload(gpu, yPred), yTrue: upload(gpu, yTrue), grad: upload(gpu, n), out: upload(gpu, 1) };
    return {
      encode: (pass, run) => {
        encodeLoss(gpu, pass, run, { ...buffers, loss, metrics: [], rows, cols, headActivation: head, outIndex: 0 });
      },
      dispatches: 2,
      // ~4 FLOPs an element (difference, square or log, the gradient's scale, the sum); reads
      // yPred and yTrue, writes grad, and a row's stats vec4 out and back in.
      flops: 4 * n,
      bytes: 4 * (3 * n + 8 * rows),
      expected() {
        // The kernel test's tolerances: the loss a mean of non-negative f32 terms (a few
        // roundings and WGSL's log each, trees of sums): 1e-6 + 1e-5 relative; the gradient,
        // short f32 expressions: 2.6e-5·max|grad| + 4e-6 relative.
        const ref = lossForward(loss, yPred, yTrue, rows, cols, head);
        const scale = ref.grad.reduce((a, g) => Math.max(a, Math.abs(g)), 0);
        return [
          { name: 'loss', buffer: buffers.out, expected: [ref.loss], atol: 1e-6, rtol: 1e-5 },
          { name: 'grad', buffer: buffers.grad, expected: ref.grad, atol: 2.6e-5 * scale, rtol: 4e-6 },
        ];
      },
      buffers: Object.values(buffers),
    };
  },
});

// The work formulas beside each kernel (flops, bytes read and written) against counts made by
// hand from the shaders on tiny cases, and the dispatch records a model's predict and fit
// leave: one per dispatch, invocations = workgroups × workgroup size.
import { describe, expect, test } from 'vitest';
import { layers, sequential, tensor } from '../../src/index.js';
import { bidirectionalMergeBackwardWork, bidirectionalMergeWork } from '../../src/kernels/bidirectionalMerge.js';
import { col2imWork, im2colWork } from '../../src/kernels/conv1d.js';
import { dropoutWork } from '../../src/kernels/dropout.js';
import { embeddingScatterAddWork } from '../../src/kernels/embedding.js';
import { gemmWork } from '../../src/kernels/gemm.js';
import { gruPersistentBackwardWork } from '../../src/kernels/gruStepBackward.js';
import { gruPersistentWork, gruStepForwardWork } from '../../src/kernels/gruStepForward.js';
import { lossReduceWork } from '../../src/kernels/loss.js';
import { lstmStepBackwardWork } from '../../src/kernels/lstmStepBackward.js';
import { lstmForwardForm, lstmPersistentWork, lstmStepForwardWork, MIN_STEP_WORKGROUPS, mainStepWorkgroups } from '../../src/kernels/lstmStepForward.js';
import { maxPool1dWork } from '../../src/kernels/maxPool1d.js';
import { activationWork } from '../../src/kernels/activation.js';
import { globalPool1dBackwardWork, globalPool1dWork } from '../../src/kernels/globalPool1d.js';
import { repeatVectorBackwardWork, repeatVectorWork } from '../../src/kernels/repeatVector.js';
import { simpleRnnPersistentWork, simpleRnnStepForwardWork } from '../../src/kernels/simpleRnnStepForward.js';
import { gradientPartialsWork, optimizerUpdateWork } from '../../src/kernels/optimizers.js';
import { persistentWork } from '../../src/kernels/steps.js';
import { transposeWork } from '../../src/kernels/transpose.js';
import { DispatchLog, FUNCTION_FLOPS } from '../../src/runtime/dispatchRecord.js';
import { resolveOptimizer } from '../../src/spec/optimizerConfig.js';
import { useGpu } from '../helpers/gpu.js';

const env = useGpu();
const F = FUNCTION_FLOPS;

describe('work formulas against hand counts', () => {
  test('gemm 2×4 · 4×3 + bias, tanh', () => {
    // 6 outputs × (4 multiply-adds = 8, + bias 1, tanh F); reads 8 + 12 + 3, writes 6.
    expect(gemmWork({ M: 2, N: 3, K: 4, bias: true, activation: 'tanh' })).toEqual({ flops: 6 * (9 + F), bytesRead: 4 * 23, bytesWritten: 4 * 6 });
    // accumulate reads Y too and adds 1 per output; linear costs nothing.
    expect(gemmWork({ M: 2, N: 3, K: 4, accumulate: true })).toEqual({ flops: 6 * 9, bytesRead: 4 * 26, bytesWritten: 4 * 6 });
  });

  test('transpose 3×5: a copy', () => {
    expect(transposeWork({ R: 3, C: 5 })).toEqual({ flops: 0, bytesRead: 60, bytesWritten: 60 });
  });

  test('LSTM step B=1, H=2, sigmoid/tanh', () => {
    // Per unit: 4 gates × (2-term dot 4 + G 1) = 20; 3 σ + 1 tanh; c = f·c + i·g 3; h = o·tanh(c) F + 1.
    const perUnit = 20 + 3 * F + F + 3 + F + 1;
    const work = lstmStepForwardWork({ B: 1, H: 2, activation: 'tanh', recurrentActivation: 'sigmoid', keep: false, returnSequences: true } as never);
    // Reads Wh 2×8, G 8, h 2, c 2; writes h 2, c 2.
    expect(work).toEqual({ flops: 2 * perUnit, bytesRead: 4 * 28, bytesWritten: 4 * 4 });
  });

  test('persistent LSTM, T=2 B=1 H=2: two steps in one dispatch', () => {
    const options = { activation: 'tanh', recurrentActivation: 'sigmoid', keep: false } as const;
    const step = lstmStepForwardWork({ B: 1, H: 2, ...options });
    // Reads Wh 16 once, G 2 × 8, h0 and c0 2 + 2, h[1], h[2] again to stage them 2 × 2; writes h[1], h[2] and c.
    expect(lstmPersistentWork({ T: 2, B: 1, H: 2, ...options })).toEqual({ flops: 2 * step.flops, bytesRead: 4 * 40, bytesWritten: 4 * 6 });
  });

  test('persistent LSTM backward, T=3 B=1 H=2: three steps in one dispatch, WhT read once', () => {
    const options = { activation: 'tanh', recurrentActivation: 'sigmoid', B: 1, H: 2, T: 3, dySeq: true } as const;
    // Per step, per unit: 12 + 3·σ + 3·act (4 each) + dY 1 = 37, and 2·4H = 16 for the recurrent
    // sum at t < T−1: 2·37 at t = 2, 2·(37 + 16) at t = 1, 0. Reads at t < T−1 WhT 16 and dG[t+1]
    // 8; every step acts 8, c[t], c[t-1], dc 6, dY 2: 16 + 2·24 + 2·16 per step form, WhT once
    // here. Writes dG[t] 8 and dc 2 a step.
    const work = persistentWork(3, { work: (t) => lstmStepBackwardWork({ ...options, t }), weightElements: (t) => (t + 1 < 3 ? 16 : 0) });
    expect(work).toEqual({ flops: 74 + 2 * 106, bytesRead: 4 * (3 * 16 + 2 * 8 + 16), bytesWritten: 4 * 30 });
  });

  test('persistent GRU backward, reset before, T=2 B=1 H=1: both phases of both steps, UT read once', () => {
    const shape = { activation: 'tanh', recurrentActivation: 'sigmoid', resetAfter: false, dySeq: true, B: 1, H: 1, T: 2 } as const;
    // Phase 0 at t = 1: 8 + σ + act + dY 1 = 17 flops; reads z, n, h, carry, dY 5; writes 4. At
    // t = 0 also the recurrent sum over dG[1]_zr, 2·2H = 4 flops, reads UT_zr 2 and dG[1]_zr 2.
    // Phase 1 each step: 2H + σ + 4 = 10 flops; reads UT_h 1, dGh, r, h, carry 4; writes 2.
    // UT's 3 elements read once: 2 + 1 + 1 − 1.
    expect(gruPersistentBackwardWork(shape)).toEqual({ flops: 17 + 21 + 2 * 10, bytesRead: 4 * (5 + 9 + 2 * 5 - 1), bytesWritten: 4 * (4 + 4 + 2 * 2) });
  });

  test('persistent SimpleRNN, T=2 B=1 H=2', () => {
    const step = simpleRnnStepForwardWork({ activation: 'tanh', B: 1, H: 2 });
    // Reads U 4 once, G 2 × 2, h0 2, h[1], h[2] again 2 × 2; writes h[1], h[2].
    expect(simpleRnnPersistentWork({ activation: 'tanh', T: 2, B: 1, H: 2 })).toEqual({ flops: 2 * step.flops, bytesRead: 4 * 14, bytesWritten: 4 * 4 });
  });

  test('persistent GRU (resetAfter), T=2 B=1 H=1', () => {
    const options = { activation: 'tanh', recurrentActivation: 'sigmoid', resetAfter: true, keep: false, hasBias: true } as const;
    const step = gruStepForwardWork({ ...options, B: 1, H: 1, phase: 0 });
    // Reads U 3 and b_rec 3 once, G 2 × 3, h0 1, h[1], h[2] again 2; writes h[1], h[2].
    expect(gruPersistentWork({ ...options, T: 2, B: 1, H: 1 })).toEqual({ flops: 2 * step.flops, bytesRead: 4 * 15, bytesWritten: 4 * 2 });
  });

  test('persistent GRU (reset before), T=2 B=1 H=1: both phases of both steps, U read once', () => {
    const options = { activation: 'tanh', recurrentActivation: 'sigmoid', resetAfter: false, keep: false, hasBias: false } as const;
    // Phase 0: z, r = σ(a + h·U_zr) 2·(2 + 1 + 4), q = r·h 1: 15 flops; reads U_zr 2, G_zr 2, h 1;
    // writes z, r, q. Phase 1: n = act(a_h + q·U_h) 2 + 1 + 4, h 4: 11 flops; reads U_h 1, q,
    // G_h, z, h; writes h. U's 3 elements once: 2 · (5 + 5) − 3.
    expect(gruPersistentWork({ ...options, T: 2, B: 1, H: 1 })).toEqual({ flops: 2 * 26, bytesRead: 4 * 17, bytesWritten: 4 * 8 });
  });

  test('bidirectional merge, T=2 B=1 H=3', () => {
    // concat: 6 values of f and of r read, 12 written, no arithmetic; ave: (f + r)·0.5.
    expect(bidirectionalMergeWork({ mode: 'concat', T: 2, B: 1, H: 3, masked: false })).toEqual({ flops: 0, bytesRead: 48, bytesWritten: 48 });
    expect(bidirectionalMergeWork({ mode: 'ave', T: 2, B: 1, H: 3, masked: true })).toEqual({ flops: 12, bytesRead: 4 * 14, bytesWritten: 24 });
    // mul backward: dF = d·r, dR = d·f; reads d, f, r.
    expect(bidirectionalMergeBackwardWork({ mode: 'mul', T: 2, B: 1, H: 3, masked: false })).toEqual({ flops: 12, bytesRead: 72, bytesWritten: 48 });
  });

  test('im2col / col2im, B=1 T=4 C=2, 3 windows of K=2', () => {
    const g = { B: 1, T: 4, C: 2, To: 3, K: 2, S: 1, pad: 0 };
    expect(im2colWork(g)).toEqual({ flops: 0, bytesRead: 32, bytesWritten: 48 });
    expect(col2imWork(g)).toEqual({ flops: 12, bytesRead: 48, bytesWritten: 32 });
  });

  test('max pool P=2 over T=4, C=1: one comparison per window', () => {
    expect(maxPool1dWork({ B: 1, T: 4, C: 1, To: 2, P: 2, S: 2, pad: 0 })).toEqual({ flops: 2, bytesRead: 16, bytesWritten: 8 });
  });

  test('activation, global pooling over T=3, repeat vector n=3', () => {
    // 5 values: one tanh each, read and written once; linear costs nothing.
    expect(activationWork({ activation: 'tanh', n: 5 })).toEqual({ flops: 5 * F, bytesRead: 20, bytesWritten: 20 });
    expect(activationWork({ activation: 'linear', n: 5 })).toEqual({ flops: 0, bytesRead: 20, bytesWritten: 20 });
    const x = {} as GPUBuffer;
    // B=1, C=2: mean a (b, c): Σm 3, (× and +) 2·3, the scale 1 and the final × 1 = 11; x 6 read, y 2 written. Max: 2 comparisons a (b, c).
    expect(globalPool1dWork({ kind: 'average', B: 1, T: 3, C: 2, x })).toEqual({ flops: 22, bytesRead: 24, bytesWritten: 8 });
    expect(globalPool1dWork({ kind: 'max', B: 1, T: 3, C: 2, x })).toEqual({ flops: 4, bytesRead: 24, bytesWritten: 8 });
    // Masked: the mask's 3 steps read again by each of the 2 (b, c).
    expect(globalPool1dWork({ kind: 'average', B: 1, T: 3, C: 2, x, mask: x }).bytesRead).toBe(4 * 12);
    // Backward mean: Σm 3, scale 2, × 3 = 8 a (b, c), reads dy 2; max: 2 + 3 selects = 5, reads x 6 and dy 2; dx 6 written.
    expect(globalPool1dBackwardWork({ kind: 'average', B: 1, T: 3, C: 2, x })).toEqual({ flops: 16, bytesRead: 8, bytesWritten: 24 });
    expect(globalPool1dBackwardWork({ kind: 'max', B: 1, T: 3, C: 2, x })).toEqual({ flops: 10, bytesRead: 32, bytesWritten: 24 });
    // B=1, F=2, n=3: 6 copies; backward 2 additions per dx value.
    expect(repeatVectorWork({ B: 1, N: 3, F: 2 })).toEqual({ flops: 0, bytesRead: 24, bytesWritten: 24 });
    expect(repeatVectorBackwardWork({ B: 1, N: 3, F: 2 })).toEqual({ flops: 4, bytesRead: 24, bytesWritten: 8 });
  });

  test('dropout, embedding scatter-add, gradient sums, loss reduce', () => {
    expect(dropoutWork({ count: 5, mode: 'accumulate' })).toEqual({ flops: 10, bytesRead: 40, bytesWritten: 20 });
    expect(dropoutWork({ count: 5, mode: 'mask' })).toEqual({ flops: 0, bytesRead: 0, bytesWritten: 20 });
    // 2 ids × 3 values: one add each; dW read and written at each target.
    expect(embeddingScatterAddWork({ B: 1, T: 2, E: 3 })).toEqual({ flops: 6, bytesRead: 4 * 14, bytesWritten: 24 });
    expect(gradientPartialsWork({ size: 10 }).flops).toBe(20);
    // 3 rows of 4 stats summed and 4 divides; writes the loss and 2 metrics.
    expect(lossReduceWork({ rows: 3, metrics: 2 })).toEqual({ flops: 16, bytesRead: 48, bytesWritten: 12 });
  });

  test('Adam update of 10 values', () => {
    // g·factor 1, regularizer 6; m 4, v 5, w − m·c0 / (√v + ε) 4 + F. Reads w, g, m, v, 2 control; writes w, m, v.
    const adam = resolveOptimizer('adam');
    expect(optimizerUpdateWork({ config: adam, size: 10 })).toEqual({ flops: 10 * (7 + 13 + F), bytesRead: 4 * 42, bytesWritten: 4 * 30 });
  });
});

describe('dispatch records', () => {
  test('predict and one fit step: one record per dispatch, invocations = workgroups × workgroup size', async () => {
    const { gpu } = env;
    const T = 5;
    const model = sequential(gpu, [layers.lstm({ units: 3, inputShape: [T, 2], seed: 1 }), layers.dense({ units: 1, seed: 2 })]);
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const x = tensor(gpu, new Float32Array(4 * T * 2).fill(0.5), [4, T, 2]);
    const y = tensor(gpu, new Float32Array(4).fill(0.25), [4, 1]);

    // Every dispatchWorkgroups the encoders see, counted beside the records.
    const probePass = gpu.device.createCommandEncoder().beginComputePass();
    probePass.end();
    const passProto = Object.getPrototypeOf(probePass) as GPUComputePassEncoder;
    const dispatchWorkgroups = passProto.dispatchWorkgroups;
    let dispatched = 0;
    passProto.dispatchWorkgroups = function (this: GPUComputePassEncoder, ...a: Parameters<GPUComputePassEncoder['dispatchWorkgroups']>) {
      dispatched++;
      return dispatchWorkgroups.apply(this, a);
    };
    const predictLog = new DispatchLog();
    const fitLog = new DispatchLog();
    const counts: number[] = [];
    try {
      const out = await gpu.recordDispatches(predictLog, () => model.predict(x).data());
      expect(out.length).toBe(4);
      counts.push(dispatched);
      await gpu.recordDispatches(fitLog, () => model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 }));
      counts.push(dispatched - counts[0]);
    } finally {
      passProto.dispatchWorkgroups = dispatchWorkgroups;
    }
    expect(predictLog.records.length).toBe(counts[0]);
    expect(fitLog.records.length).toBe(counts[1]);

    for (const log of [predictLog, fitLog]) {
      expect(log.records.length).toBeGreaterThan(0);
      for (const r of log.records) {
        expect(r.kernel).toMatch(/^[\w ()]+\/\w+$/);
        const groups = r.workgroups[0] * r.workgroups[1] * r.workgroups[2];
        expect(groups).toBeGreaterThan(0);
        const size = r.invocations / groups;
        expect([64, 256]).toContain(size);
        expect(r.flops).toBeGreaterThanOrEqual(0);
        expect(r.bytesRead + r.bytesWritten).toBeGreaterThan(0);
      }
    }
    // The forward LSTM layer at B=4, H=3: the whole sequence in one workgroup of 256.
    const steps = predictLog.records.filter((r) => r.kernel.startsWith('lstm_step_forward/'));
    expect(steps.map((r) => [r.kernel, r.workgroups, r.invocations])).toEqual([['lstm_step_forward/main_persistent', [1, 1, 1], 256]]);
    // Training runs the steps forward and backward (each one persistent dispatch a batch) and one
    // optimizer update per weight (LSTM 3, Dense 2).
    const backward = fitLog.records.filter((r) => r.kernel.startsWith('lstm_step_backward/'));
    expect(backward.map((r) => [r.kernel, r.workgroups, r.invocations])).toEqual([['lstm_step_backward/main_persistent', [1, 1, 1], 256]]);
    expect(fitLog.records.filter((r) => r.kernel.startsWith('optimizer update/')).length).toBe(5);
    model.dispose();
    x.dispose();
    y.dispose();
  });

  // Issue 11's bench shapes: a step dispatch launches ≥ MIN_STEP_WORKGROUPS, or the whole
  // sequence is one persistent dispatch. T = 2 keeps the case small; the launch shape does not
  // depend on T.
  test.each([
    { B: 32, H: 256, kernel: 'lstm_step_forward/main_split_k', dispatches: 2 },
    { B: 8, H: 128, kernel: 'lstm_step_forward/main_persistent', dispatches: 1 },
    { B: 1, H: 128, kernel: 'lstm_step_forward/main_persistent', dispatches: 1 },
  ])('LSTM forward B=$B H=$H: $kernel', async ({ B, H, kernel, dispatches }) => {
    const { gpu } = env;
    const [T, D] = [2, 3];
    const model = sequential(gpu, [layers.lstm({ units: H, inputShape: [T, D], seed: 1 })]);
    const x = tensor(gpu, new Float32Array(B * T * D).fill(0.5), [B, T, D]);
    const log = new DispatchLog();
    await gpu.recordDispatches(log, () => model.predict(x).data());
    const steps = log.records.filter((r) => r.kernel.startsWith('lstm_step_forward/'));
    expect(steps.map((r) => r.kernel)).toEqual(Array(dispatches).fill(kernel));
    if (dispatches > 1) {
      for (const r of steps) expect(r.workgroups[0] * r.workgroups[1] * r.workgroups[2]).toBeGreaterThanOrEqual(MIN_STEP_WORKGROUPS);
    }
    expect(lstmForwardForm(B, H)).toBe(kernel === 'lstm_step_forward/main_split_k' ? 'splitK' : 'persistent');
    expect(mainStepWorkgroups(32, 256)).toBeLessThan(MIN_STEP_WORKGROUPS);
    model.dispose();
    x.dispose();
  });

  test('a second recording while one runs is refused, and the first records nothing of it', async () => {
    const { gpu } = env;
    const log = new DispatchLog();
    await expect(gpu.recordDispatches(log, () => gpu.recordDispatches(new DispatchLog(), () => 0))).rejects.toThrow(/another recording/);
    expect(log.records).toEqual([]);
  });
});

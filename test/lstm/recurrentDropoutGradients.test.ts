// Gradients with dropout: the CPU reference's by finite differences with the masks held fixed
// (with a sequence mask too), and the GPU's initial-state gradient against the reference's.
import { describe, expect, test } from 'vitest';
import { reference, sequential, tensor } from '../../src/index.js';
import { flowOf } from '../../src/layers/layer.js';
import type { Lstm } from '../../src/lstm/lstm.js';
import type { RecurrentLayer } from '../../src/lstm/recurrent.js';
import { lstmBackward, lstmForwardTrain } from '../../src/reference/backward.js';
import { sequenceDropoutScales } from '../../src/reference/dropout.js';
import { expectClose, useGpu } from '../helpers/gpu.js';
import { dot, FD_ATOL, FD_RTOL, numericGradient, randomArray } from '../helpers/finiteDifferences.js';
import { gpuLayer, KINDS, refLayer } from './recurrentDropoutFixtures.js';

const env = useGpu();

describe('reference gradients with dropout, by finite differences (masks fixed)', () => {
  test('LSTM: kernel, recurrent kernel, bias, input and initial state', () => {
    const random = new reference.Random(9);
    const [B, T, D, H] = [2, 3, 3, 4];
    const x = randomArray(random, B * T * D);
    const kernel = randomArray(random, D * 4 * H, 0.5);
    const recurrentKernel = randomArray(random, H * 4 * H, 0.5);
    const bias = randomArray(random, 4 * H, 0.1);
    const h0 = randomArray(random, B * H, 0.5);
    const c0 = randomArray(random, B * H, 0.5);
    const recurrentMask = sequenceDropoutScales(5, 0, B, H, 0.5);
    const dY = randomArray(random, B * T * H);
    const options = { activation: 'tanh' as const, recurrentActivation: 'sigmoid' as const };
    const loss = () => {
      const cache = lstmForwardTrain(x, { B, T, D, H }, { kernel, recurrentKernel, bias }, { ...options, initialState: { h: h0, c: c0 }, recurrentMask });
      // The loss pairs dY with the output sequence h[1..T] (time-major here, dY read the same way).
      return dot(cache.hseq.subarray(B * H), dY);
    };
    const cache = lstmForwardTrain(x, { B, T, D, H }, { kernel, recurrentKernel, bias }, { ...options, initialState: { h: h0, c: c0 }, recurrentMask });
    // dY is time-major above; lstmBackward takes a batch-major sequence gradient.
    const dYBatchMajor = new Float64Array(B * T * H);
    for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) dYBatchMajor[(b * T + t) * H + j] = dY[(t * B + b) * H + j];
    const g = lstmBackward(x, { B, T, D, H }, { kernel, recurrentKernel, bias }, options, cache, { sequence: dYBatchMajor }, {}, undefined, recurrentMask);
    expectClose(g.dKernel, numericGradient(kernel, loss), FD_ATOL, FD_RTOL, 'dKernel');
    expectClose(g.dRecurrentKernel, numericGradient(recurrentKernel, loss), FD_ATOL, FD_RTOL, 'dRecurrentKernel');
    expectClose(g.dBias, numericGradient(bias, loss), FD_ATOL, FD_RTOL, 'dBias');
    expectClose(g.dX, numericGradient(x, loss), FD_ATOL, FD_RTOL, 'dX');
    expectClose(g.dh0, numericGradient(h0, loss), FD_ATOL, FD_RTOL, 'dh0');
    expectClose(g.dc0, numericGradient(c0, loss), FD_ATOL, FD_RTOL, 'dc0');
    // The mask matters: without it the recurrent kernel's gradient differs.
    const unmasked = lstmBackward(x, { B, T, D, H }, { kernel, recurrentKernel, bias }, options, cache, { sequence: dYBatchMajor });
    expect(Math.max(...unmasked.dRecurrentKernel.map((v, i) => Math.abs(v - g.dRecurrentKernel[i])))).toBeGreaterThan(1e-3);
  });
});

describe('reference gradients with recurrent dropout and a sequence mask, by finite differences', () => {
  // The GRU reads h' = h⊙m everywhere (TF.js) while a masked step carries the raw h: both paths
  // in one sequence (row 0 masked at step 1, row 1 at step 0).
  const [B, T, D, H] = [2, 3, 2, 3];
  const sequenceMask = Float64Array.from([1, 0, 1, 0, 1, 1]);
  test.each([true, false])('GRU resetAfter=%s', (resetAfter) => {
    const random = new reference.Random(21);
    const x = randomArray(random, B * T * D);
    const kernel = randomArray(random, D * 3 * H, 0.5);
    const recurrentKernel = randomArray(random, H * 3 * H, 0.5);
    const bias = randomArray(random, (resetAfter ? 6 : 3) * H, 0.1);
    const h0 = randomArray(random, B * H, 0.5);
    const recurrentMask = sequenceDropoutScales(8, 0, B, H, 0.4);
    const dY = randomArray(random, B * T * H);
    const options = { activation: 'tanh' as const, recurrentActivation: 'sigmoid' as const, resetAfter };
    const weights = { kernel, recurrentKernel, bias };
    const run = () => reference.gruForwardTrain(x, { B, T, D, H }, weights, { ...options, initialState: h0, mask: sequenceMask, recurrentMask });
    const loss = () => dot(batchMajor(run().hseq.subarray(B * H), B, T, H), dY);
    const g = reference.gruBackward(x, { B, T, D, H }, weights, options, run(), { sequence: dY }, {}, sequenceMask, recurrentMask);
    expectClose(g.dKernel, numericGradient(kernel, loss), FD_ATOL, FD_RTOL, 'dKernel');
    expectClose(g.dRecurrentKernel, numericGradient(recurrentKernel, loss), FD_ATOL, FD_RTOL, 'dRecurrentKernel');
    expectClose(g.dBias, numericGradient(bias, loss), FD_ATOL, FD_RTOL, 'dBias');
    expectClose(g.dX, numericGradient(x, loss), FD_ATOL, FD_RTOL, 'dX');
    expectClose(g.dh0, numericGradient(h0, loss), FD_ATOL, FD_RTOL, 'dh0');
  });

  test('SimpleRNN', () => {
    const random = new reference.Random(22);
    const x = randomArray(random, B * T * D);
    const kernel = randomArray(random, D * H, 0.5);
    const recurrentKernel = randomArray(random, H * H, 0.5);
    const bias = randomArray(random, H, 0.1);
    const h0 = randomArray(random, B * H, 0.5);
    const recurrentMask = sequenceDropoutScales(9, 0, B, H, 0.4);
    const dY = randomArray(random, B * T * H);
    const weights = { kernel, recurrentKernel, bias };
    const run = () => reference.simpleRnnForwardTrain(x, { B, T, D, H }, weights, { activation: 'tanh', initialState: h0, mask: sequenceMask, recurrentMask });
    const loss = () => dot(batchMajor(run().hseq.subarray(B * H), B, T, H), dY);
    const g = reference.simpleRnnBackward(x, { B, T, D, H }, weights, { activation: 'tanh' }, run(), { sequence: dY }, {}, sequenceMask, recurrentMask);
    expectClose(g.dRecurrentKernel, numericGradient(recurrentKernel, loss), FD_ATOL, FD_RTOL, 'dRecurrentKernel');
    expectClose(g.dX, numericGradient(x, loss), FD_ATOL, FD_RTOL, 'dX');
    expectClose(g.dh0, numericGradient(h0, loss), FD_ATOL, FD_RTOL, 'dh0');
  });
});

describe('the initial state gradient with dropout on the GPU', () => {
  // encodeBackward's stateGrads (an encoder–decoder's decoder state) with a recurrent mask and a
  // sequence mask: dh0 = (dG[0]·Uᵀ)⊙m plus the dh carried through masked first steps.
  test.each(KINDS)('%s', async (kind) => {
    const [B, T, D, H] = [3, 4, 5, 6];
    const random = new reference.Random(31);
    const x = random.uniformArray(B * T * D);
    const h0 = random.uniformArray(B * H, -0.5, 0.5);
    const dY = random.uniformArray(B * T * H);
    const sequenceMask = Float32Array.from({ length: B * T }, (_, i) => (i === 0 || i === 5 ? 0 : 1));
    const options = { units: H, returnSequences: true, recurrentDropout: 0.5, dropout: 0.2, seed: 4, inputShape: [T, D] as [number, number] };
    const layer = gpuLayer(kind, options) as Lstm | RecurrentLayer;
    const ref = refLayer(kind, options) as unknown as {
      setWeights(w: Float32Array[]): void;
      forwardTrain(
        x: unknown,
        state: unknown,
        mask: unknown,
      ): { saved: { draw?: { input?: Float64Array; recurrent?: Float64Array }; x: { data: Float64Array } } };
    };
    sequential(env.gpu, [layer]);
    const weights = await layer.getWeightData();
    ref.setWeights(weights);
    const c0 = new Float64Array(B * H);
    const forward = ref.forwardTrain(
      reference.tensor(x, [B, T, D]),
      kind === 'lstm' ? { h: Float64Array.from(h0), c: c0 } : { h: Float64Array.from(h0) },
      sequenceMask,
    );
    const draw = forward.saved.draw!;
    const dims = { B, T, D, H };
    const [kernel, recurrentKernel, bias] = weights;
    let expected: Float64Array;
    if (kind === 'lstm') {
      const w = { kernel, recurrentKernel, bias };
      const o = { activation: 'tanh' as const, recurrentActivation: 'sigmoid' as const };
      const cache = lstmForwardTrain(forward.saved.x.data, dims, w, {
        ...o,
        initialState: { h: h0, c: c0 },
        mask: sequenceMask,
        recurrentMask: draw.recurrent,
      });
      expected = lstmBackward(forward.saved.x.data, dims, w, o, cache, { sequence: dY }, {}, sequenceMask, draw.recurrent).dh0;
    } else if (kind === 'simpleRNN') {
      const w = { kernel, recurrentKernel, bias };
      const cache = reference.simpleRnnForwardTrain(forward.saved.x.data, dims, w, {
        activation: 'tanh',
        initialState: h0,
        mask: sequenceMask,
        recurrentMask: draw.recurrent,
      });
      expected = reference.simpleRnnBackward(
        forward.saved.x.data,
        dims,
        w,
        { activation: 'tanh' },
        cache,
        { sequence: dY },
        {},
        sequenceMask,
        draw.recurrent,
      ).dh0;
    } else {
      const w = { kernel, recurrentKernel, bias };
      const o = { activation: 'tanh' as const, recurrentActivation: 'sigmoid' as const, resetAfter: kind === 'gruResetAfter' };
      const cache = reference.gruForwardTrain(forward.saved.x.data, dims, w, { ...o, initialState: h0, mask: sequenceMask, recurrentMask: draw.recurrent });
      expected = reference.gruBackward(forward.saved.x.data, dims, w, o, cache, { sequence: dY }, {}, sequenceMask, draw.recurrent).dh0;
    }
    const xt = tensor(env.gpu, x, [B, T, D]);
    const maskT = tensor(env.gpu, sequenceMask, [B, T]);
    const state = { h: tensor(env.gpu, h0, [B, H]), c: tensor(env.gpu, c0, [B, H]) };
    const dYt = tensor(env.gpu, dYTimeMajor(dY, B, T, H), [T, B, H]);
    const grads = (await layer.getWeightData()).map((w) => tensor(env.gpu, new Float32Array(w.length), [w.length]));
    const dh0 = tensor(env.gpu, new Float32Array(B * H), [B, H]);
    const dc0 = tensor(env.gpu, new Float32Array(B * H), [B, H]);
    await env.gpu.submit('train with state gradients', (encoder, run) => {
      const { saved } = layer.encodeTrain(encoder, run, { ...flowOf(xt), mask: maskT.buffer }, { h: state.h.buffer, c: state.c.buffer });
      const dFlow = { buffer: dYt.buffer, offset: 0, shape: [B, T, H], timeMajor: true };
      layer.encodeBackward(
        encoder,
        run,
        saved,
        dFlow,
        grads.map((g) => g.buffer),
        false,
        { h: dh0.buffer, c: dc0.buffer },
      );
    });
    expectClose(await dh0.data(), expected, 1e-6, 1e-4, 'dh0');
    for (const t of [xt, maskT, state.h, state.c, dYt, dh0, dc0, ...grads]) t.dispose();
    layer.dispose();
  });
});

/** [T, B, F] time-major from [B, T, F] batch-major (or back, swapping the roles). */
function dYTimeMajor(values: ArrayLike<number>, B: number, T: number, F: number): Float32Array {
  const out = new Float32Array(B * T * F);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let f = 0; f < F; f++) out[(t * B + b) * F + f] = values[(b * T + t) * F + f];
  return out;
}

/** [B, T, F] batch-major from [T, B, F] time-major. */
function batchMajor(values: ArrayLike<number>, B: number, T: number, F: number): Float64Array {
  const out = new Float64Array(B * T * F);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) for (let f = 0; f < F; f++) out[(b * T + t) * F + f] = values[(t * B + b) * F + f];
  return out;
}

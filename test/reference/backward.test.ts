// The reference's gradients against central finite differences in Float64.
import { describe, test } from 'vitest';
import { denseBackward, denseForward, lstmBackward, lstmForwardTrain, type DenseActivation } from '../../src/reference/backward.js';
import type { Activation } from '../../src/reference/math.js';
import { Random } from '../../src/init/random.js';
import { dot, FD_ATOL, FD_RTOL, numericGradient, randomArray } from '../helpers/finiteDifferences.js';
import { expectClose } from '../helpers/gpu.js';

const [ATOL, RTOL] = [FD_ATOL, FD_RTOL];

describe('LSTM backward (BPTT) vs finite differences', () => {
  test.each([
    { name: 'last output', B: 2, T: 4, D: 3, H: 5, sequence: false, activation: 'tanh', recurrentActivation: 'sigmoid' },
    { name: 'whole sequence', B: 3, T: 3, D: 2, H: 4, sequence: true, activation: 'tanh', recurrentActivation: 'sigmoid' },
    { name: 'batch 1, one step', B: 1, T: 1, D: 2, H: 3, sequence: true, activation: 'tanh', recurrentActivation: 'sigmoid' },
    { name: 'relu activation, tanh gates', B: 2, T: 3, D: 2, H: 3, sequence: false, activation: 'relu', recurrentActivation: 'tanh' },
    { name: 'gelu activation, swish gates (pre-activations kept)', B: 2, T: 3, D: 2, H: 3, sequence: true, activation: 'gelu', recurrentActivation: 'swish' },
  ] as const)('$name (B=$B T=$T D=$D H=$H)', ({ B, T, D, H, sequence, activation, recurrentActivation }) => {
    const random = new Random(B * 100 + T * 10 + H);
    const options = { activation: activation as Activation, recurrentActivation: recurrentActivation as Activation };
    const x = randomArray(random, B * T * D);
    const kernel = randomArray(random, D * 4 * H, 0.7);
    const recurrentKernel = randomArray(random, H * 4 * H, 0.7);
    const bias = randomArray(random, 4 * H, 0.3);
    const h0 = randomArray(random, B * H, 0.5);
    const c0 = randomArray(random, B * H, 0.5);
    // loss = ⟨wOut, output⟩ + ⟨wH, h_T⟩ + ⟨wC, c_T⟩: exercises dY, dhT and dcT together.
    const wOut = randomArray(random, sequence ? B * T * H : B * H);
    const wH = randomArray(random, B * H);
    const wC = randomArray(random, B * H);
    const dims = { B, T, D, H };
    const weights = { kernel, recurrentKernel, bias };
    const loss = () => {
      const cache = lstmForwardTrain(x, dims, weights, { ...options, initialState: { h: h0, c: c0 } });
      let out: Float64Array;
      if (sequence) {
        out = new Float64Array(B * T * H);
        for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) out.set(cache.hseq.subarray(((t + 1) * B + b) * H, ((t + 1) * B + b + 1) * H), (b * T + t) * H);
      } else out = cache.hseq.subarray(T * B * H);
      return dot(wOut, out) + dot(wH, cache.hseq.subarray(T * B * H)) + dot(wC, cache.cseq.subarray(T * B * H));
    };
    const cache = lstmForwardTrain(x, dims, weights, { ...options, initialState: { h: h0, c: c0 } });
    const grads = lstmBackward(x, dims, weights, options, cache, sequence ? { sequence: wOut } : { last: wOut }, { dhT: wH, dcT: wC });
    expectClose(grads.dKernel, numericGradient(kernel, loss), ATOL, RTOL, 'dKernel');
    expectClose(grads.dRecurrentKernel, numericGradient(recurrentKernel, loss), ATOL, RTOL, 'dRecurrentKernel');
    expectClose(grads.dBias, numericGradient(bias, loss), ATOL, RTOL, 'dBias');
    expectClose(grads.dX, numericGradient(x, loss), ATOL, RTOL, 'dX');
    expectClose(grads.dh0, numericGradient(h0, loss), ATOL, RTOL, 'dh0');
    expectClose(grads.dc0, numericGradient(c0, loss), ATOL, RTOL, 'dc0');
  });
});

describe('Dense backward vs finite differences', () => {
  test.each(['linear', 'relu', 'sigmoid', 'tanh', 'softmax'] as DenseActivation[])('%s', (activation) => {
    const [R, F, K] = [4, 3, 5];
    const random = new Random(7);
    const x = randomArray(random, R * F);
    const kernel = randomArray(random, F * K);
    const bias = randomArray(random, K, 0.3);
    const wOut = randomArray(random, R * K);
    const loss = () => dot(wOut, denseForward(x, kernel, bias, R, F, K, activation));
    const y = denseForward(x, kernel, bias, R, F, K, activation);
    const grads = denseBackward(x, kernel, y, wOut, R, F, K, activation);
    expectClose(grads.dKernel, numericGradient(kernel, loss), ATOL, RTOL, 'dKernel');
    expectClose(grads.dBias, numericGradient(bias, loss), ATOL, RTOL, 'dBias');
    expectClose(grads.dX, numericGradient(x, loss), ATOL, RTOL, 'dX');
  });
});

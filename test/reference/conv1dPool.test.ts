// The Conv1D and MaxPooling1D twins' gradients against central finite differences in Float64.
import { describe, expect, test } from 'vitest';
import type { ConvPadding, Padding } from '../../src/spec/convConfig.js';
import { conv1dBackward, conv1dForward } from '../../src/reference/conv1d.js';
import { maxPool1dBackward, maxPool1dForward } from '../../src/reference/maxPooling1d.js';
import { Random } from '../../src/init/random.js';
import { dot, FD_ATOL, FD_RTOL, numericGradient, randomArray } from '../helpers/finiteDifferences.js';
import { expectClose } from '../helpers/gpu.js';

describe('Conv1D backward vs finite differences', () => {
  test.each([
    { name: 'batch 1, one step, same', B: 1, T: 1, C: 2, F: 3, K: 3, S: 1, padding: 'same', activation: 'tanh' },
    { name: 'valid, stride 1', B: 2, T: 6, C: 3, F: 4, K: 3, S: 1, padding: 'valid', activation: 'linear' },
    { name: 'valid, stride 2', B: 2, T: 7, C: 2, F: 3, K: 2, S: 2, padding: 'valid', activation: 'sigmoid' },
    { name: 'same, stride 2, even K', B: 2, T: 7, C: 2, F: 3, K: 4, S: 2, padding: 'same', activation: 'tanh' },
    { name: 'same, softmax', B: 1, T: 5, C: 3, F: 4, K: 3, S: 1, padding: 'same', activation: 'softmax' },
    { name: 'causal, dilation 2', B: 2, T: 7, C: 2, F: 3, K: 3, S: 1, D: 2, padding: 'causal', activation: 'tanh' },
    { name: 'causal, stride 2', B: 1, T: 6, C: 2, F: 2, K: 2, S: 2, padding: 'causal', activation: 'elu' },
    { name: 'same, dilation 3', B: 2, T: 8, C: 2, F: 2, K: 2, S: 1, D: 3, padding: 'same', activation: 'softsign' },
    { name: 'valid, dilation 2', B: 1, T: 9, C: 3, F: 2, K: 3, S: 1, D: 2, padding: 'valid', activation: 'linear' },
  ] as const)('$name (B=$B T=$T C=$C F=$F K=$K S=$S $activation)', (c) => {
    const { B, T, C, F, K, S, padding, activation } = c;
    const random = new Random(B * 100 + T * 10 + K);
    const d = { B, T, C, F, kernelSize: K, strides: S, padding: padding as ConvPadding, dilation: ('D' in c ? c.D : undefined) ?? 1 };
    const x = randomArray(random, B * T * C);
    const kernel = randomArray(random, K * C * F, 0.7);
    const bias = randomArray(random, F, 0.3);
    const y0 = conv1dForward(x, kernel, bias, d, activation);
    const w = randomArray(random, y0.length);
    // loss = ⟨w, y⟩
    const loss = () => dot(w, conv1dForward(x, kernel, bias, d, activation));
    const g = conv1dBackward(x, kernel, y0, w, d, activation);
    expectClose(g.dKernel, numericGradient(kernel, loss), FD_ATOL, FD_RTOL, 'dKernel');
    expectClose(g.dBias, numericGradient(bias, loss), FD_ATOL, FD_RTOL, 'dBias');
    expectClose(g.dX, numericGradient(x, loss), FD_ATOL, FD_RTOL, 'dX');
  });
});

describe('MaxPooling1D backward', () => {
  test.each([
    { name: 'batch 1, one step, same', B: 1, T: 1, C: 2, P: 2, S: 2, padding: 'same' },
    { name: 'valid, pool 2', B: 2, T: 7, C: 3, P: 2, S: 2, padding: 'valid' },
    { name: 'valid, overlapping pool 3 stride 1', B: 2, T: 6, C: 2, P: 3, S: 1, padding: 'valid' },
    { name: 'same, pool 3 stride 2', B: 2, T: 8, C: 3, P: 3, S: 2, padding: 'same' },
  ] as const)('$name vs finite differences (B=$B T=$T C=$C P=$P S=$S)', ({ B, T, C, P, S, padding }) => {
    const random = new Random(B * 31 + T * 7 + P);
    const d = { B, T, C, poolSize: P, strides: S, padding: padding as Padding };
    // Distinct values (no ties): max pooling is differentiable there, and ±1e-5 steps do not
    // change which value is the max (values are ≥ 1e-3 apart with overwhelming probability).
    const x = randomArray(random, B * T * C);
    const { y, argmax } = maxPool1dForward(x, d);
    const w = randomArray(random, y.length);
    const loss = () => dot(w, maxPool1dForward(x, d).y);
    expectClose(maxPool1dBackward(argmax, w, d), numericGradient(x, loss), FD_ATOL, FD_RTOL, 'dX');
  });

  test('ties go to the first max (TF), padding is never the max', () => {
    const d = { B: 1, T: 5, C: 1, poolSize: 3, strides: 2, padding: 'same' as Padding };
    // same: To = 3, pad 1 → windows [-1, 2), [1, 4), [3, 6) ∩ [0, 5)
    const x = [-4, -4, 2, 2, -1];
    const { y, argmax } = maxPool1dForward(x, d);
    expect(Array.from(y)).toEqual([-4, 2, 2]);
    expect(Array.from(argmax)).toEqual([0, 2, 3]);
    expect(Array.from(maxPool1dBackward(argmax, [1, 10, 100], d))).toEqual([1, 0, 10, 100, 0]);
  });
});

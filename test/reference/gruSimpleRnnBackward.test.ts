// The GRU and SimpleRNN references' gradients against central finite differences in Float64.
import { describe, expect, test } from 'vitest';
import { gruBackward, gruForwardTrain, type GruCellOptions } from '../../src/reference/gru.js';
import type { Activation } from '../../src/reference/math.js';
import { Random } from '../../src/init/random.js';
import { simpleRnnBackward, simpleRnnForwardTrain, toBatchMajor } from '../../src/reference/simpleRnn.js';
import { dot, FD_ATOL, FD_RTOL, numericGradient, randomArray } from '../helpers/finiteDifferences.js';
import { expectClose } from '../helpers/gpu.js';

const [ATOL, RTOL] = [FD_ATOL, FD_RTOL];

interface Case {
  name: string;
  B: number;
  T: number;
  D: number;
  H: number;
  sequence: boolean;
  activation: Activation;
  recurrentActivation: Activation;
  useBias?: boolean;
}

const cases: Case[] = [
  { name: 'last output', B: 2, T: 4, D: 3, H: 5, sequence: false, activation: 'tanh', recurrentActivation: 'sigmoid' },
  { name: 'whole sequence', B: 3, T: 3, D: 2, H: 4, sequence: true, activation: 'tanh', recurrentActivation: 'sigmoid' },
  { name: 'batch 1, one step, one unit', B: 1, T: 1, D: 2, H: 1, sequence: true, activation: 'tanh', recurrentActivation: 'sigmoid' },
  {
    name: 'linear activation, tanh gates, no bias',
    B: 2,
    T: 3,
    D: 2,
    H: 3,
    sequence: false,
    activation: 'linear',
    recurrentActivation: 'tanh',
    useBias: false,
  },
];

/** gelu and swish, whose kept values are the pre-activations. */
const gruCases: Case[] = [
  ...cases,
  { name: 'gelu activation, swish gates (pre-activations kept)', B: 2, T: 3, D: 2, H: 3, sequence: true, activation: 'gelu', recurrentActivation: 'swish' },
];

describe('GRU backward (BPTT) vs finite differences', () => {
  for (const resetAfter of [true, false]) {
    test.each(gruCases)(
      `resetAfter=${resetAfter}: $name (B=$B T=$T D=$D H=$H)`,
      ({ B, T, D, H, sequence, activation, recurrentActivation, useBias = true }) => {
        const random = new Random(B * 100 + T * 10 + H + (resetAfter ? 1 : 0));
        const options: GruCellOptions = { activation, recurrentActivation, resetAfter };
        const x = randomArray(random, B * T * D);
        const kernel = randomArray(random, D * 3 * H, 0.7);
        const recurrentKernel = randomArray(random, H * 3 * H, 0.7);
        const bias = useBias ? randomArray(random, (resetAfter ? 6 : 3) * H, 0.3) : undefined;
        const h0 = randomArray(random, B * H, 0.5);
        // loss = ⟨wOut, output⟩ + ⟨wH, h_T⟩: exercises dY and dhT together.
        const wOut = randomArray(random, sequence ? B * T * H : B * H);
        const wH = randomArray(random, B * H);
        const dims = { B, T, D, H };
        const weights = { kernel, recurrentKernel, bias };
        const loss = () => {
          const { hseq } = gruForwardTrain(x, dims, weights, { ...options, initialState: h0 });
          const out = sequence ? toBatchMajor(hseq.subarray(B * H), B, T, H) : hseq.subarray(T * B * H);
          return dot(wOut, out) + dot(wH, hseq.subarray(T * B * H));
        };
        const cache = gruForwardTrain(x, dims, weights, { ...options, initialState: h0 });
        const grads = gruBackward(x, dims, weights, options, cache, sequence ? { sequence: wOut } : { last: wOut }, { dhT: wH });
        expectClose(grads.dKernel, numericGradient(kernel, loss), ATOL, RTOL, 'dKernel');
        expectClose(grads.dRecurrentKernel, numericGradient(recurrentKernel, loss), ATOL, RTOL, 'dRecurrentKernel');
        if (bias) expectClose(grads.dBias, numericGradient(bias, loss), ATOL, RTOL, 'dBias');
        expectClose(grads.dX, numericGradient(x, loss), ATOL, RTOL, 'dX');
        expectClose(grads.dh0, numericGradient(h0, loss), ATOL, RTOL, 'dh0');
      },
    );
  }

  test('the two resetAfter modes are different functions of the same weights', () => {
    // With the recurrent bias row zero the modes share every weight; they still differ because
    // r multiplies h before U_h in one and after it in the other.
    const [B, T, D, H] = [2, 3, 2, 4];
    const random = new Random(5);
    const x = randomArray(random, B * T * D);
    const kernel = randomArray(random, D * 3 * H, 0.7);
    const recurrentKernel = randomArray(random, H * 3 * H, 0.7);
    const opts = { activation: 'tanh', recurrentActivation: 'sigmoid' } as const;
    const after = gruForwardTrain(x, { B, T, D, H }, { kernel, recurrentKernel }, { ...opts, resetAfter: true }).hseq;
    const before = gruForwardTrain(x, { B, T, D, H }, { kernel, recurrentKernel }, { ...opts, resetAfter: false }).hseq;
    let diff = 0;
    for (let i = 0; i < after.length; i++) diff = Math.max(diff, Math.abs(after[i] - before[i]));
    expect(diff).toBeGreaterThan(1e-3);
  });
});

describe('SimpleRNN backward (BPTT) vs finite differences', () => {
  test.each([...gruCases, { name: 'relu activation', B: 2, T: 3, D: 2, H: 3, sequence: true, activation: 'relu', recurrentActivation: 'sigmoid' } as Case])(
    '$name (B=$B T=$T D=$D H=$H)',
    ({ B, T, D, H, sequence, activation, useBias = true }) => {
      const random = new Random(B * 100 + T * 10 + H + 7);
      const x = randomArray(random, B * T * D);
      const kernel = randomArray(random, D * H, 0.7);
      const recurrentKernel = randomArray(random, H * H, 0.7);
      const bias = useBias ? randomArray(random, H, 0.3) : undefined;
      const h0 = randomArray(random, B * H, 0.5);
      const wOut = randomArray(random, sequence ? B * T * H : B * H);
      const wH = randomArray(random, B * H);
      const dims = { B, T, D, H };
      const weights = { kernel, recurrentKernel, bias };
      const loss = () => {
        const { hseq } = simpleRnnForwardTrain(x, dims, weights, { activation, initialState: h0 });
        const out = sequence ? toBatchMajor(hseq.subarray(B * H), B, T, H) : hseq.subarray(T * B * H);
        return dot(wOut, out) + dot(wH, hseq.subarray(T * B * H));
      };
      const cache = simpleRnnForwardTrain(x, dims, weights, { activation, initialState: h0 });
      const grads = simpleRnnBackward(x, dims, weights, { activation }, cache, sequence ? { sequence: wOut } : { last: wOut }, { dhT: wH });
      expectClose(grads.dKernel, numericGradient(kernel, loss), ATOL, RTOL, 'dKernel');
      expectClose(grads.dRecurrentKernel, numericGradient(recurrentKernel, loss), ATOL, RTOL, 'dRecurrentKernel');
      if (bias) expectClose(grads.dBias, numericGradient(bias, loss), ATOL, RTOL, 'dBias');
      expectClose(grads.dX, numericGradient(x, loss), ATOL, RTOL, 'dX');
      expectClose(grads.dh0, numericGradient(h0, loss), ATOL, RTOL, 'dh0');
    },
  );
});

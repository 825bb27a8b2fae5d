// The small kernels of training against their CPU twins: transpose, column sums, activation
// gradients, batch gathering, the step mask. All are exact copies or short f32 sums.
import { ACTIVATIONS_AND_SOFTMAX, gradientNeedsInput } from '../../src/spec/names.js';
import { describe, expect, test } from 'vitest';
import { tensor } from '../../src/index.js';
import { encodeActivationBackward, type HeadActivationName } from '../../src/kernels/activationBackward.js';
import { encodeGatherRows } from '../../src/kernels/gatherRows.js';
import { encodeMasking } from '../../src/kernels/masking.js';
import { encodeReduceRows } from '../../src/kernels/reduceRows.js';
import { encodeTranspose } from '../../src/kernels/transpose.js';
import { denseBackward, denseForward } from '../../src/reference/backward.js';
import { gatherRows, stepMask, transpose } from '../../src/reference/layout.js';
import { Random } from '../../src/init/random.js';
import { expectClose, readBuffer, runPass, useGpu } from '../helpers/gpu.js';

const env = useGpu();

describe('transpose', () => {
  test.each([
    [1, 1],
    [3, 5],
    [17, 33],
    [64, 256],
  ])('%i×%i', async (R, C) => {
    const { gpu } = env;
    const x = new Random(R * C).uniformArray(R * C);
    const tx = tensor(gpu, x, [R, C]);
    const ty = tensor(gpu, new Float32Array(R * C), [C, R]);
    await runPass(gpu, (pass, run) => encodeTranspose(gpu, pass, run, { x: tx.buffer, y: ty.buffer, R, C }));
    const y = await ty.data();
    const expected = Float32Array.from(transpose(x, R, C));
    expect(y).toEqual(expected); // a copy: exact
  });
});

describe('column sums', () => {
  test.each([
    [1, 1, false],
    [7, 70, false],
    [300, 5, true],
    [33, 9, true], // rows not a multiple of the 32 lanes, columns not of the 8 a workgroup
    [256, 130, false],
  ])('R=%i N=%i accumulate=%s', async (R, N, accumulate) => {
    const { gpu } = env;
    const random = new Random(R + N);
    const x = random.uniformArray(R * N);
    const y0 = random.uniformArray(N);
    const tx = tensor(gpu, x, [R, N]);
    const ty = tensor(gpu, y0, [N]);
    await runPass(gpu, (pass, run) => encodeReduceRows(gpu, pass, run, { x: tx.buffer, y: ty.buffer, R, N, accumulate }));
    const expected = Float64Array.from({ length: N }, (_, n) => {
      let s = accumulate ? y0[n] : 0;
      for (let r = 0; r < R; r++) s += x[r * N + n];
      return s;
    });
    // f32 sums of ≤ 300 terms of magnitude ≤ 1: rounding ≤ 300·2⁻²⁴·|partial sums| ≈ 1e-4 at worst.
    expectClose(await ty.data(), expected, 1e-4, 1e-5, 'column sums');
  });
});

describe('activation backward', () => {
  test.each(ACTIVATIONS_AND_SOFTMAX as HeadActivationName[])('%s', async (activation) => {
    const { gpu } = env;
    const [R, F, K] = [13, 1, 67];
    const random = new Random(3);
    // A Dense layer with an identity-like 1×K kernel makes y = act(x·w + b) for random z.
    const x = Float64Array.from(random.uniformArray(R * F, -2, 2));
    const w = Float64Array.from(random.uniformArray(F * K, -2, 2));
    const b = Float64Array.from(random.uniformArray(K, -1, 1));
    const y = denseForward(x, w, b, R, F, K, activation);
    // gelu and swish take their derivative from the pre-activation z.
    const z = gradientNeedsInput(activation) ? denseForward(x, w, b, R, F, K, 'linear') : undefined;
    const dy = Float64Array.from(random.uniformArray(R * K));
    // The reference's dBias is Σ_r dZ; recover dZ row by row through one-row calls.
    const expected = new Float64Array(R * K);
    for (let r = 0; r < R; r++) {
      const row = (v: Float64Array) => v.subarray(r * K, (r + 1) * K);
      const rowGrad = denseBackward(x.subarray(r, r + 1), w, row(y), row(dy), 1, F, K, activation, false, z && row(z));
      expected.set(rowGrad.dBias, r * K);
    }
    const [ty, tz, tdy, tdz] = [
      tensor(gpu, Float32Array.from(y), [R, K]),
      tensor(gpu, Float32Array.from(z ?? new Float64Array(R * K)), [R, K]),
      tensor(gpu, Float32Array.from(dy), [R, K]),
      tensor(gpu, new Float32Array(R * K), [R, K]),
    ];
    await runPass(gpu, (pass, run) =>
      encodeActivationBackward(gpu, pass, run, { activation: activation, y: ty.buffer, z: tz.buffer, dy: tdy.buffer, dz: tdz.buffer, R, C: K }),
    );
    // One or two f32 products per element (softmax: a K-term dot): ≤ 1e-6 rounding.
    expectClose(await tdz.data(), expected, 2e-6, 1e-5, activation);
  });
});

describe('gather rows', () => {
  test.each([
    { N: 5, T: 1, F: 3, B: 2, start: 1, timeMajor: false },
    { N: 6, T: 4, F: 70, B: 3, start: 2, timeMajor: true },
    { N: 3, T: 2, F: 1, B: 1, start: 2, timeMajor: true },
    { N: 4, T: 3, F: 5, B: 2, start: 1, timeMajor: true, srcT: 7, t0: 4 },
    { N: 4, T: 2, F: 3, B: 3, start: 0, timeMajor: false, srcT: 5, t0: 1 },
  ])('N=$N T=$T F=$F B=$B time-major=$timeMajor', async ({ N, T, F, B, start, timeMajor, srcT = T, t0 = 0 }) => {
    const { gpu } = env;
    const src = new Random(N).uniformArray(N * srcT * F);
    const order = Uint32Array.from({ length: N }, (_, i) => (i * 5 + 3) % N);
    const tsrc = tensor(gpu, src, [N * srcT * F]);
    const tidx = tensor(gpu, new Float32Array(order.buffer), [N]);
    const tout = tensor(gpu, new Float32Array(B * T * F), [B * T * F]);
    await runPass(gpu, (pass, run) =>
      encodeGatherRows(gpu, pass, run, { src: tsrc.buffer, idx: tidx.buffer, out: tout.buffer, start, B, T, F, timeMajor, srcT, t0 }),
    );
    const expected = Float32Array.from(gatherRows(src, order, { start, B, T, F, srcT, t0, timeMajor }));
    expect(await readBuffer(gpu, tout.buffer, B * T * F)).toEqual(expected); // a copy: exact
  });
});

describe('masking (the step mask)', () => {
  test.each([
    { B: 1, T: 1, F: 1, timeMajor: false, offset: 0 },
    { B: 3, T: 70, F: 1, timeMajor: true, offset: 0 },
    { B: 5, T: 9, F: 67, timeMajor: false, offset: 3 },
    { B: 2, T: 33, F: 4, timeMajor: true, offset: 5 },
  ])('B=$B T=$T F=$F time-major=$timeMajor offset=$offset', async ({ B, T, F, timeMajor, offset }) => {
    const { gpu } = env;
    const random = new Random(B * 100 + T + F);
    // Steps of all maskValue (2), steps with a leading maskValue, others in ±1.
    const x = new Float32Array(offset + B * T * F);
    for (let s = 0; s < B * T; s++) {
      const kind = random.int(3);
      for (let f = 0; f < F; f++) x[offset + s * F + f] = kind === 0 || (kind === 1 && f === 0) ? 2 : random.uniform(-1, 1);
    }
    const [tx, tmask] = [tensor(gpu, x, [x.length]), tensor(gpu, new Float32Array(B * T).fill(7), [B * T])];
    await runPass(gpu, (pass, run) => encodeMasking(gpu, pass, run, { x: tx.buffer, xOffset: offset, mask: tmask.buffer, B, T, F, timeMajor, maskValue: 2 }));
    // Exact comparisons, 1 / 0: exact.
    expect(await readBuffer(gpu, tmask.buffer, B * T)).toEqual(Float32Array.from(stepMask(x, B, T, F, 2, timeMajor, offset)));
    for (const t of [tx, tmask]) t.dispose();
  });
});

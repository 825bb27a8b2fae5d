// Every activation of spec/names.ts in the CPU reference: its derivative (from the output, what
// the backward kernels use, except gelu's and swish's from the input) against central finite
// differences of the function, and the definitions (erfc, gelu, swish, selu, …) at known points. The initializers' statistics.
import { describe, expect, test } from 'vitest';
import { activationGrad, activationGradFromOutput } from '../../src/reference/backward.js';
import { activate, erfc, normalCdf } from '../../src/reference/math.js';
import { initialize, Random } from '../../src/reference/index.js';
import { ACTIVATIONS, gradientNeedsInput, INITIALIZERS } from '../../src/spec/names.js';

describe('activations', () => {
  // Central differences with h = 1e-5 on Float64 smooth functions: truncation h²·|f'''|/6 ≤ 1e-10,
  // rounding 1e-16/h ≈ 1e-11. Points stay 1e-3 away from the kinks (relu, elu and selu at 0,
  // hardSigmoid at ±2.5), where the one-sided derivatives differ.
  const points = [-3.1, -2.4, -1, -0.5, -0.01, 0.01, 0.3, 1, 2.2, 4];
  test.each(ACTIVATIONS)('%s: the derivative (from the output where it is a function of it) matches finite differences', (name) => {
    const h = 1e-5;
    for (const x of points) {
      const numeric = (activate(name, x + h) - activate(name, x - h)) / (2 * h);
      expect(Math.abs(activationGrad(name, x) - numeric), `${name} at ${x}`).toBeLessThan(1e-8);
      if (gradientNeedsInput(name)) expect(() => activationGradFromOutput(name, activate(name, x))).toThrow(/needs its input/);
      else expect(Math.abs(activationGradFromOutput(name, activate(name, x)) - numeric), `${name} at ${x}`).toBeLessThan(1e-8);
    }
  });

  test('erfc, Φ, gelu and swish at known points (values: Python math.erfc)', () => {
    // Below 2.5 (the series) ≤ 1e-15 absolute; above (the continued fraction) ≤ 1e-13 relative.
    for (const [z, value] of [
      [0, 1],
      [0.5, 0.4795001221869535],
      [1, 0.15729920705028513],
      [2.4, 6.885138966450789e-4],
      [2.6, 2.3603441652934908e-4],
      [4, 1.541725790028002e-8],
    ] as const)
      expect(Math.abs(erfc(z) - value), `erfc(${z})`).toBeLessThan(z < 2.5 ? 1e-15 : 1e-13 * value);
    expect(Math.abs(normalCdf(-8) - 6.220960574271819e-16) / 6.220960574271819e-16).toBeLessThan(1e-12); // no cancellation
    expect(activate('gelu', 1)).toBeCloseTo(0.8413447460685429, 15);
    expect(activate('gelu', -1)).toBeCloseTo(-0.15865525393145707, 15);
    expect(activate('swish', 1)).toBeCloseTo(0.7310585786300049, 15);
  });

  test('definitions at known points', () => {
    expect(activate('elu', -1)).toBeCloseTo(Math.exp(-1) - 1, 15);
    expect(activate('selu', 1)).toBeCloseTo(1.0507009873554805, 15);
    expect(activate('selu', -1)).toBeCloseTo(1.0507009873554805 * 1.6732632423543772 * (Math.exp(-1) - 1), 15);
    expect(activate('softplus', 0)).toBeCloseTo(Math.LN2, 15);
    expect(activate('softplus', 800)).toBe(800); // no overflow
    expect(activate('softplus', -800)).toBe(0);
    expect(activate('softsign', 3)).toBe(0.75);
  });
});

describe('initializers', () => {
  // n = 40000 draws: the sample mean's standard error is σ/200, the variance's ≈ σ²·√(2/n) ≈ 0.7 % of σ²;
  // 5 standard errors either way.
  const [rows, cols] = [100, 400];
  const expectedVariance: Record<string, number> = {
    glorotUniform: 2 / (rows + cols),
    glorotNormal: 2 / (rows + cols),
    heUniform: 2 / rows,
    heNormal: 2 / rows,
    lecunUniform: 1 / rows,
    lecunNormal: 1 / rows,
  };
  test.each(Object.keys(expectedVariance))('%s: mean 0, variance scale / fan (Keras VarianceScaling)', (name) => {
    const values = initialize(name as (typeof INITIALIZERS)[number], rows, cols, new Random(5));
    const n = values.length;
    const mean = values.reduce((a, b) => a + b, 0) / n;
    const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
    const sigma = Math.sqrt(expectedVariance[name]);
    expect(Math.abs(mean)).toBeLessThan((5 * sigma) / Math.sqrt(n));
    expect(Math.abs(variance / expectedVariance[name] - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    // Normal ones are truncated at two of their (pre-correction) standard deviations.
    const bound = name.endsWith('Normal') ? (2 * sigma) / 0.87962566103423978 : Math.sqrt(3) * sigma;
    expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(bound * (1 + 1e-12));
  });

  test('every name is implemented', () => {
    for (const name of INITIALIZERS) expect(initialize(name, 3, 4, new Random(1))).toHaveLength(12);
  });
});

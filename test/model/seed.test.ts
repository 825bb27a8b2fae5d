// setSeed: unseeded layers built after the same setSeed get the same weights and dropout masks
// (Keras's set_random_seed); without it, different ones.
import { afterEach, describe, expect, test } from 'vitest';
import { layers, Random, RnnError, sequential, setSeed } from '../../src/index.js';
import { useGpu } from '../helpers/gpu.js';

const env = useGpu();

afterEach(() => setSeed(undefined));

async function unseededWeights(): Promise<number[]> {
  const model = sequential(env.gpu, [
    layers.lstm({ units: 3, inputShape: [2, 2], returnSequences: true, recurrentDropout: 0.2 }),
    layers.dropout({ rate: 0.3 }),
    layers.globalAveragePooling1d(),
    layers.dense({ units: 1 }),
  ]);
  const weights = (await model.getWeightData()).flatMap((w) => [...w]);
  const dropout = model.layers[1] as unknown as { config: { seed: number } };
  model.dispose();
  return [...weights, dropout.config.seed];
}

describe('setSeed', () => {
  test('the same seed gives the same weights and dropout seeds; another seed or none, others', async () => {
    setSeed(42);
    const a = await unseededWeights();
    setSeed(42);
    const b = await unseededWeights();
    setSeed(43);
    const c = await unseededWeights();
    setSeed(undefined);
    const d = await unseededWeights();
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    expect(d).not.toEqual(a);
  });

  test('new Random() follows the stream; a bad seed is refused', () => {
    setSeed(5);
    const first = new Random().next();
    setSeed(5);
    expect(new Random().next()).toBe(first);
    expect(() => setSeed(1.5)).toThrow(RnnError);
    expect(() => setSeed('1' as never)).toThrow(/setSeed: seed must be a whole number/);
  });
});

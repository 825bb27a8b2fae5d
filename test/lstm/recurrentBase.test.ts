// LSTM, GRU and SimpleRNN share one base, RecurrentLayer: `instanceof RecurrentLayer` holds for
// all three, and AnyRecurrentLayer types any of them (state lists of one or two tensors).
import { describe, expect, test } from 'vitest';
import { Gru, Lstm, RecurrentLayer, SimpleRnn } from '../../src/index.js';
import type { AnyRecurrentLayer } from '../../src/lstm/recurrent.js';

describe('RecurrentLayer base', () => {
  test('LSTM, GRU and SimpleRNN are RecurrentLayers', () => {
    const layers: AnyRecurrentLayer[] = [new Lstm({ units: 3 }), new Gru({ units: 3 }), new SimpleRnn({ units: 3 })];
    for (const layer of layers) {
      expect(layer).toBeInstanceOf(RecurrentLayer);
      expect(layer.units).toBe(3);
      expect(layer.stateUnits).toBe(3);
      expect(layer.computeOutputShape([5, 2])).toEqual([3]);
    }
  });

  test('the weights each cell declares', () => {
    expect(new Lstm({ units: 3 }).weightShapes([5, 2])).toEqual([[2, 12], [3, 12], [12]]);
    expect(new SimpleRnn({ units: 3, useBias: false }).weightShapes([5, 2])).toEqual([
      [2, 3],
      [3, 3],
    ]);
  });
});

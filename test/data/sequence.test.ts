// padSequences, toCategorical, slidingWindows and trainTestSplit against expectations worked
// out by hand (the padding cases are those of Keras's own test_sequence.py).
import { describe, expect, test } from 'vitest';
import { padSequences, padSequencesFlat, slidingWindows, toCategorical, trainTestSplit } from '../../src/data/sequence.js';
import { NonFiniteError, ShapeError } from '../../src/spec/errors.js';

const A = [[1], [1, 2], [1, 2, 3]];

describe('padSequences', () => {
  test('padding pre and post', () => {
    expect(padSequences(A, { maxlen: 3, padding: 'pre' })).toEqual([
      [0, 0, 1],
      [0, 1, 2],
      [1, 2, 3],
    ]);
    expect(padSequences(A, { maxlen: 3, padding: 'post' })).toEqual([
      [1, 0, 0],
      [1, 2, 0],
      [1, 2, 3],
    ]);
  });

  test('truncating pre and post', () => {
    expect(padSequences(A, { maxlen: 2, truncating: 'pre' })).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
    ]);
    expect(padSequences(A, { maxlen: 2, truncating: 'post' })).toEqual([
      [0, 1],
      [1, 2],
      [1, 2],
    ]);
    expect(padSequences([[1, 2, 3, 4, 5]], { maxlen: 3, padding: 'post', truncating: 'post' })).toEqual([[1, 2, 3]]);
  });

  test('value, and maxlen defaulting to the longest', () => {
    expect(padSequences(A, { maxlen: 3, value: 1 })).toEqual([
      [1, 1, 1],
      [1, 1, 2],
      [1, 2, 3],
    ]);
    expect(padSequences(A)).toEqual([
      [0, 0, 1],
      [0, 1, 2],
      [1, 2, 3],
    ]);
    expect(padSequences([[5], [1, 2]], { value: -1, padding: 'post' })).toEqual([
      [5, -1],
      [1, 2],
    ]);
  });

  test('empty sequences, an empty batch and maxlen 0', () => {
    expect(padSequences([[], [7]], { maxlen: 2 })).toEqual([
      [0, 0],
      [0, 7],
    ]);
    expect(padSequences([[], []])).toEqual([[], []]);
    expect(padSequences([])).toEqual([]);
    expect(padSequences([[1, 2]], { maxlen: 0 })).toEqual([[]]);
  });

  test('typed arrays are accepted and left untouched', () => {
    const seq = new Int32Array([4, 5, 6]);
    expect(padSequences([seq], { maxlen: 4 })).toEqual([[0, 4, 5, 6]]);
    expect([...seq]).toEqual([4, 5, 6]);
  });

  test('clear errors', () => {
    expect(() => padSequences(A, { padding: 'middle' as 'pre' })).toThrow(/padding/);
    expect(() => padSequences(A, { truncating: 'both' as 'pre' })).toThrow(/truncating/);
    expect(() => padSequences(A, { maxlen: -1 })).toThrow(ShapeError);
    expect(() => padSequences(A, { maxlen: 1.5 })).toThrow(/maxlen/);
    expect(() => padSequences(A, { value: Number.NaN })).toThrow(/value/);
    expect(() => padSequences([[1, Number.NaN]])).toThrow(NonFiniteError);
    expect(() => padSequences([[1, '2' as unknown as number]])).toThrow(/sequence 0 holds "2" at index 1/);
    expect(() => padSequences(['abc' as unknown as number[]])).toThrow(/sequence 0/);
    expect(() => padSequences('abc' as unknown as number[][])).toThrow(ShapeError);
  });
});

describe('padSequencesFlat', () => {
  test('sequences of numbers give [n, maxlen]', () => {
    const { data, shape } = padSequencesFlat(A, { maxlen: 2, padding: 'post', truncating: 'post' });
    expect(shape).toEqual([3, 2]);
    expect([...data]).toEqual([1, 0, 1, 2, 1, 2]);
  });

  test('sequences of frames give [n, maxlen, features], padded frames filled with value', () => {
    const frames = [
      [
        [1, 2],
        [3, 4],
      ],
      [[5, 6]],
      [],
    ];
    const pre = padSequencesFlat(frames);
    expect(pre.shape).toEqual([3, 2, 2]);
    expect([...pre.data]).toEqual([1, 2, 3, 4, 0, 0, 5, 6, 0, 0, 0, 0]);
    const post = padSequencesFlat(frames, { maxlen: 1, padding: 'post', truncating: 'pre', value: -1 });
    expect(post.shape).toEqual([3, 1, 2]);
    expect([...post.data]).toEqual([3, 4, 5, 6, -1, -1]);
  });

  test('frames of different widths are refused', () => {
    expect(() => padSequencesFlat([[[1, 2]], [[1, 2, 3]]])).toThrow(/2 features/);
    expect(() => padSequencesFlat([[[1, 2]], [3]])).toThrow(/step 0/);
  });
});

describe('toCategorical', () => {
  test('the Keras docs example: [0, 1, 2, 3] with 4 classes is the identity', () => {
    const { data, shape } = toCategorical([0, 1, 2, 3], 4);
    expect(shape).toEqual([4, 4]);
    expect([...data]).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
  });

  test('numClasses inferred as the largest label + 1, typed arrays accepted', () => {
    const { data, shape } = toCategorical(new Float32Array([2, 0, 2]));
    expect(shape).toEqual([3, 3]);
    expect([...data]).toEqual([0, 0, 1, 1, 0, 0, 0, 0, 1]);
    expect(toCategorical([1], 5).data).toEqual(new Float32Array([0, 1, 0, 0, 0]));
  });

  test('no labels give [0, numClasses]', () => {
    expect(toCategorical([], 3)).toEqual({ data: new Float32Array(0), shape: [0, 3] });
    expect(() => toCategorical([])).toThrow(/numClasses/);
  });

  test('non-integer, negative and out-of-range labels are refused', () => {
    expect(() => toCategorical([0, 1.5])).toThrow(/label 1 is number 1.5/);
    expect(() => toCategorical([-1])).toThrow(ShapeError);
    expect(() => toCategorical([Number.NaN])).toThrow(ShapeError);
    expect(() => toCategorical([0, 3, 4], 4)).toThrow(/label 2 is 4, out of range for numClasses 4/);
    expect(() => toCategorical([0], 0)).toThrow(/numClasses/);
    expect(() => toCategorical('01' as unknown as number[])).toThrow(ShapeError);
  });
});

describe('slidingWindows', () => {
  const ramp = Array.from({ length: 10 }, (_, i) => i);

  test('window 3, horizon 1: every start, the next step as target', () => {
    const w = slidingWindows(ramp, 3);
    expect(w.xShape).toEqual([7, 3, 1]);
    expect(w.yShape).toEqual([7, 1]);
    expect([...w.x.subarray(0, 6)]).toEqual([0, 1, 2, 1, 2, 3]);
    expect([...w.x.subarray(18)]).toEqual([6, 7, 8]);
    expect([...w.y]).toEqual([3, 4, 5, 6, 7, 8, 9]);
  });

  test('horizon 2 and stride 2: n = ⌊(10 − 3 − 2) / 2⌋ + 1 = 3', () => {
    const w = slidingWindows(ramp, 3, 2, { stride: 2 });
    expect(w.xShape).toEqual([3, 3, 1]);
    expect([...w.x]).toEqual([0, 1, 2, 2, 3, 4, 4, 5, 6]);
    expect(w.yShape).toEqual([3, 2]);
    expect([...w.y]).toEqual([3, 4, 5, 6, 7, 8]);
  });

  test('a series exactly window + horizon long gives one window', () => {
    const w = slidingWindows([1, 2, 3], 2);
    expect(w.xShape).toEqual([1, 2, 1]);
    expect([...w.y]).toEqual([3]);
  });

  test("the seeds' sine example: window 49, horizon 1", () => {
    const sine = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i * 0.1));
    const w = slidingWindows(sine, 49);
    expect(w.xShape).toEqual([951, 49, 1]);
    expect(w.yShape).toEqual([951, 1]);
    for (const i of [0, 500, 950]) {
      expect(w.x.subarray(i * 49, (i + 1) * 49)).toEqual(sine.subarray(i, i + 49));
      expect(w.y[i]).toBe(sine[i + 49]);
    }
  });

  test('several features, as rows or flat interleaved, and a subset as targets', () => {
    const rows = Array.from({ length: 5 }, (_, t) => [t, 10 * t]);
    const w = slidingWindows(rows, 2);
    expect(w.xShape).toEqual([3, 2, 2]);
    expect([...w.x.subarray(0, 4)]).toEqual([0, 0, 1, 10]);
    expect(w.yShape).toEqual([3, 2]);
    expect([...w.y]).toEqual([2, 20, 3, 30, 4, 40]);
    const flat = slidingWindows(rows.flat(), 2, 1, { features: 2 });
    expect(flat).toEqual(w);
    const second = slidingWindows(rows, 2, 2, { targetFeatures: [1] });
    expect(second.yShape).toEqual([2, 2]);
    expect([...second.y]).toEqual([20, 30, 30, 40]);
    const swapped = slidingWindows(rows, 3, 1, { targetFeatures: [1, 0] });
    expect([...swapped.y]).toEqual([30, 3, 40, 4]);
  });

  test('a window longer than the series, or no room for the horizon, is refused', () => {
    expect(() => slidingWindows(ramp, 20)).toThrow(/10 steps is too short for window 20 \+ horizon 1/);
    expect(() => slidingWindows(ramp, 10)).toThrow(ShapeError);
    expect(() => slidingWindows(ramp, 8, 3)).toThrow(/at least 11/);
    expect(() => slidingWindows([], 1)).toThrow(/too short/);
  });

  test('clear errors on arguments and data', () => {
    expect(() => slidingWindows(ramp, 0)).toThrow(/window/);
    expect(() => slidingWindows(ramp, 2, 0)).toThrow(/horizon/);
    expect(() => slidingWindows(ramp, 2, 1, { stride: 0.5 })).toThrow(/stride/);
    expect(() => slidingWindows(ramp, 2, 1, { features: 3 })).toThrow(/10 values does not split into steps of 3/);
    expect(() => slidingWindows([[1, 2], [3]], 1)).toThrow(/step 1/);
    expect(() =>
      slidingWindows(
        [
          [1, 2],
          [3, 4],
        ],
        1,
        1,
        { features: 3 },
      ),
    ).toThrow(/features/);
    expect(() =>
      slidingWindows(
        [
          [1, 2],
          [3, 4],
        ],
        1,
        1,
        { targetFeatures: [2] },
      ),
    ).toThrow(/targetFeatures/);
    expect(() => slidingWindows([1, Number.NaN, 3], 1)).toThrow(NonFiniteError);
    expect(() => slidingWindows('123' as unknown as number[], 1)).toThrow(ShapeError);
  });
});

describe('trainTestSplit', () => {
  test('in order, the last fraction for test, ⌊n·(1 − f)⌋ to train as fit validationSplit', () => {
    const w = slidingWindows(
      Array.from({ length: 10 }, (_, i) => i),
      3,
    );
    const { train, test: held } = trainTestSplit(w, 0.2);
    expect(train.xShape).toEqual([5, 3, 1]);
    expect(train.yShape).toEqual([5, 1]);
    expect(held.xShape).toEqual([2, 3, 1]);
    expect([...held.x]).toEqual([5, 6, 7, 6, 7, 8]);
    expect([...held.y]).toEqual([8, 9]);
    expect([...train.y]).toEqual([3, 4, 5, 6, 7]);
  });

  test('a fraction leaving an empty part, or out of (0, 1), is refused', () => {
    const w = slidingWindows([1, 2, 3, 4], 2);
    expect(() => trainTestSplit(w, 0.9)).toThrow(/leaves 0 to train and 2 to test/);
    expect(() => trainTestSplit(w, 1e-17)).toThrow(/each part needs at least one/);
    expect(() => trainTestSplit(w, 0)).toThrow(/testFraction/);
    expect(() => trainTestSplit(w, 1)).toThrow(/testFraction/);
    expect(() => trainTestSplit({ ...w, xShape: [3, 2, 1] }, 0.5)).toThrow(ShapeError);
  });

  test('shuffle with a seed: x and y stay paired, the same seed gives the same split, another seed another', () => {
    // Window i of 0..19 with window 3 is x = [i, i+1, i+2], y = i + 3.
    const w = slidingWindows(
      Array.from({ length: 20 }, (_, i) => i),
      3,
    );
    const a = trainTestSplit(w, 0.25, { shuffle: true, seed: 7 });
    const b = trainTestSplit(w, 0.25, { shuffle: true, seed: 7 });
    const c = trainTestSplit(w, 0.25, { shuffle: true, seed: 8 });
    expect(a.train.xShape).toEqual([12, 3, 1]);
    expect(a.test.xShape).toEqual([5, 3, 1]);
    expect([...a.test.y]).toEqual([...b.test.y]);
    expect([...a.test.y]).not.toEqual([...c.test.y]);
    const firsts = [...a.train.y, ...a.test.y].map((y) => y - 3);
    expect([...firsts].sort((p, q) => p - q)).toEqual(Array.from({ length: 17 }, (_, i) => i));
    expect(firsts).not.toEqual(Array.from({ length: 17 }, (_, i) => i));
    for (const part of [a.train, a.test]) {
      for (let k = 0; k < part.yShape[0]; k++) expect([...part.x.subarray(3 * k, 3 * k + 3)]).toEqual([0, 1, 2].map((d) => part.y[k] - 3 + d));
    }
    // The input is not modified.
    expect([...w.y]).toEqual(Array.from({ length: 17 }, (_, i) => i + 3));
  });

  test('bad options are named', () => {
    const w = slidingWindows([1, 2, 3, 4, 5], 2);
    expect(() => trainTestSplit(w, 0.5, { shufle: true } as never)).toThrow(/unknown option 'shufle': the options are shuffle and seed/);
    expect(() => trainTestSplit(w, 0.5, { shuffle: 'yes' } as never)).toThrow(/shuffle must be true or false/);
    expect(() => trainTestSplit(w, 0.5, { shuffle: true, seed: 1.5 })).toThrow(/seed must be a whole number/);
  });
});

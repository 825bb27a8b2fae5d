// The LSTM models of the training tests (training*.test.ts): a case's sizes, head and loss, its
// data, and the same model on the GPU and in the CPU reference.
import { layers, reference, sequential, type Gpu, type LossName } from '../../src/index.js';

export type Head = { units: number; activation: 'linear' | 'sigmoid' | 'softmax' | 'tanh' | 'relu' };
export interface Case {
  name: string;
  B: number;
  T: number;
  D: number;
  H: number;
  returnSequences: boolean;
  stack?: boolean;
  head: Head;
  loss: LossName;
}

/** x [B, T, D] and targets of the case's loss: class indices, one-hot rows, 0 / 1 or values. */
export function makeData(c: Case, seed: number) {
  const random = new reference.Random(seed);
  const x = random.uniformArray(c.B * c.T * c.D);
  const rows = c.returnSequences ? c.B * c.T : c.B;
  const K = c.head.units;
  let y: Float32Array;
  if (c.loss === 'sparseCategoricalCrossentropy') y = Float32Array.from({ length: rows }, () => random.int(K));
  else if (c.loss === 'categoricalCrossentropy') {
    y = new Float32Array(rows * K);
    for (let r = 0; r < rows; r++) y[r * K + random.int(K)] = 1;
  } else if (c.loss === 'binaryCrossentropy') y = Float32Array.from({ length: rows * K }, () => random.int(2));
  else y = random.uniformArray(rows * K, -0.8, 0.8);
  return { x, y };
}

/** The case's model on `gpu` and its CPU reference, configured alike (copy the weights to compare them). */
export function buildBothOn(gpu: Gpu, c: Case) {
  const recurrent = (i: number, last: boolean) => ({
    units: c.H,
    returnSequences: last ? c.returnSequences : true,
    seed: 1 + i,
    ...(i === 0 ? { inputShape: [c.T, c.D] as [number, number] } : {}),
  });
  const configs = c.stack ? [recurrent(0, false), recurrent(1, true)] : [recurrent(0, true)];
  const model = sequential(gpu, [...configs.map((cfg) => layers.lstm(cfg)), layers.dense({ ...c.head, seed: 9 })]);
  const ref = reference.sequential([...configs.map((cfg) => reference.layers.lstm(cfg)), reference.layers.dense({ ...c.head })]);
  return { model, ref };
}

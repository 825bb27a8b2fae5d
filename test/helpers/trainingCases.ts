// The training tests' cases (test/model/training*.test.ts, test/lstm/recurrentTraining.test.ts):
// a case's sizes, head and loss, its data, the LSTM model on the GPU and in the CPU reference,
// and the check that a steady-state training step allocates and compiles nothing.
import { expect } from 'vitest';
import { layers, reference, type Sequential, sequential, tensor, type Gpu, type LossName } from '../../src/index.js';

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

/** Two warm-up steps of `model` (compiled with c's loss) on c's data, then three that create no GPU buffer and compile no pipeline. */
export async function expectSteadyTrainingStep(gpu: Gpu, model: Sequential, c: Case): Promise<void> {
  model.compile({ optimizer: 'adam', loss: c.loss, metrics: ['accuracy'] });
  const { x, y } = makeData(c, 1);
  const xt = tensor(gpu, x, [c.B, c.T, c.D]);
  await model.trainOnBatch(xt, y);
  await model.trainOnBatch(xt, y);
  const buffers = gpu.pool.created;
  const pipelines = gpu.pipelineCount;
  for (let i = 0; i < 3; i++) await model.trainOnBatch(xt, y);
  expect(gpu.pool.created - buffers).toBe(0);
  expect(gpu.pipelineCount - pipelines).toBe(0);
  xt.dispose();
  model.dispose();
}

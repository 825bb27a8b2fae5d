// Soak: 10,000 predicts and 1,000 training steps on one device, with gpu.memory() (live
// tensors, pooled buffers and bytes, pipelines) flat from the end of the warm-up to the end, and
// the model still computing what it computed (predict) or learning (the loss falls). A leak of
// one buffer or pipeline a call would show as thousands.
import { expect, test } from 'vitest';
import { createDevice, layers, sequential, tensor } from '../../src/index.js';

test('10,000 predicts and 1,000 training steps leave the device as the warm-up left it', async () => {
  const gpu = await createDevice({ quiet: true });
  try {
    const [B, T, D] = [4, 6, 3];
    const model = sequential(gpu, [layers.lstm({ units: 8, inputShape: [T, D], seed: 1 }), layers.dense({ units: 1, seed: 2 })]);
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const x = tensor(
      gpu,
      Float32Array.from({ length: B * T * D }, (_, i) => Math.sin(i)),
      [B, T, D],
    );
    const y = tensor(
      gpu,
      Float32Array.from({ length: B }, (_, b) => b / B),
      [B, 1],
    );

    // Predict: every output read back 1 in 100 (the rest disposed unread, as a page might).
    const first = model.predict(x);
    const expected = await first.data();
    first.dispose();
    const warm = gpu.memory();
    for (let i = 1; i <= 10_000; i++) {
      const out = model.predict(x);
      if (i % 100 === 0) expect(await out.data()).toEqual(expected);
      out.dispose();
    }
    expect(gpu.memory()).toEqual(warm);

    // Training: one warm-up step compiles the training pipelines and fills the pool.
    const [loss0] = await model.trainOnBatch(x, y);
    const trained = gpu.memory();
    let last = loss0;
    for (let i = 0; i < 1_000; i++) [last] = await model.trainOnBatch(x, y);
    expect(gpu.memory()).toEqual(trained);
    expect(last).toBeLessThan(loss0 / 2);
    model.dispose();
    for (const t of [x, y]) t.dispose();
  } finally {
    gpu.destroy();
  }
});

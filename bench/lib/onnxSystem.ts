// ONNX Runtime (onnxruntime-node, its CPU execution provider) as a peer of the Node bench: our
// model with the case's weights, exported with exportOnnx — the path a user takes to serve a
// model trained here. Forward only: ONNX Runtime's inference package has no training step.
import { exportOnnx, type Gpu, layers, sequential } from 'webgpu-rnn';
import type { System } from './systems.js';

type Ort = typeof import('onnxruntime-node');

/** The peer, or why it cannot run here (the package failed to load). */
export async function onnxRuntimeSystem(gpu: Gpu): Promise<System | string> {
  let ort: Ort;
  try {
    ort = await import('onnxruntime-node');
  } catch (e) {
    return `onnxruntime-node failed to load: ${(e as Error).message}`;
  }
  return {
    name: 'onnxruntime',
    onGpu: false,
    kinds: ['forward'],
    async prepare({ shape: { B, T, D, H }, x, weights }) {
      const model = sequential(gpu, [layers.lstm({ units: H, inputShape: [T, D] })]);
      model.setWeights(weights);
      const bytes = await exportOnnx(model);
      model.dispose();
      const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
      const input = new ort.Tensor('float32', x, [B, T, D]);
      return {
        async run() {
          const { y } = await session.run({ x: input });
          return y.data as Float32Array;
        },
        weights: async () => weights,
        dispose() {
          void session.release();
        },
      };
    },
  };
}

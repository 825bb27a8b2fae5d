// ONNX Runtime as a peer of the bench: our model with the case's weights, exported with
// exportOnnx (ONNX's LSTM op) — the path a user takes to serve a model trained here. Forward
// only: ONNX Runtime's inference packages have no training step. The same peer runs on any of
// ONNX Runtime's packages, whose InferenceSession and Tensor are the same API:
// - 'onnxruntime': onnxruntime-node's native CPU execution provider (Node, all cores);
// - 'ort-web-webgpu', 'ort-web-wasm': onnxruntime-web in the Chromium page (bench/page/ortWeb.ts),
//   its WebGPU execution provider on the page's adapter, and its wasm backend.
import { exportOnnx, type Gpu, layers, sequential } from 'webgpu-rnn';
import type { System } from './systems.js';
import type { SystemName } from './types.js';

/** What the peer uses of an ONNX Runtime package (onnxruntime-node and onnxruntime-web alike). */
export interface OrtApi {
  InferenceSession: {
    create(
      model: Uint8Array,
      options?: { executionProviders?: string[] },
    ): Promise<{
      run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown }>>;
      release(): Promise<void>;
    }>;
  };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => unknown;
}

export type OnnxSystemName = Extract<SystemName, 'onnxruntime' | 'ort-web-webgpu' | 'ort-web-wasm'>;

/** The peer `name`: ONNX Runtime's `ort` with `executionProvider`; `onGpu` when that runs on the page's adapter. */
export function onnxSystem(name: OnnxSystemName, gpu: Gpu, ort: OrtApi, executionProvider: string, onGpu: boolean): System {
  return {
    name,
    onGpu,
    kinds: ['forward'],
    async prepare({ shape: { B, T, D, H }, x, weights }) {
      const model = sequential(gpu, [layers.lstm({ units: H, inputShape: [T, D] })]);
      model.setWeights(weights);
      const bytes = await exportOnnx(model);
      model.dispose();
      const session = await ort.InferenceSession.create(bytes, { executionProviders: [executionProvider] });
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

/** onnxruntime-node's CPU peer, or why it cannot run here (the package failed to load). */
export async function onnxRuntimeSystem(gpu: Gpu): Promise<System | string> {
  try {
    const ort = (await import('onnxruntime-node')) as unknown as OrtApi;
    return onnxSystem('onnxruntime', gpu, ort, 'cpu', false);
  } catch (e) {
    return `onnxruntime-node failed to load: ${(e as Error).message}`;
  }
}

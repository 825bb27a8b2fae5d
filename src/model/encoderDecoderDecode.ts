// Greedy decoding of an encoder–decoder on the GPU: the encoder reads the sources once, then
// each step the decoder reads its previous token (startToken first), its recurrent layers
// carrying their states, and the head's largest value is taken in a kernel (sample_token,
// greedy over the values as they are: probabilities or logits) and fed back through the
// decoder's Embedding without leaving the GPU; `tokensPerSubmit` steps a command buffer and
// one readback each, which also tells whether every row has reached endToken.
import { encodeSampleToken } from '../kernels/sampleToken.js';
import { flowOf, type Flow, type Layer, type RecurrentState } from '../layers/layer.js';
import { Lstm } from '../lstm/lstm.js';
import type { Gpu } from '../runtime/device.js';
import { TENSOR_USAGE } from '../runtime/gpuConstants.js';
import { emptyTensor, type Tensor, tensor } from '../runtime/tensor.js';
import type { EncoderDecoderLayer } from './encoderDecoderLayer.js';
import { lastStepRows } from './generate.js';
import { readFloats } from './trainingData.js';

export interface GreedyDecode {
  startToken: number;
  endToken?: number;
  maxLength: number;
  /** The head's width. */
  classes: number;
  tokensPerSubmit: number;
}

/** The tokens of each of the B sources [B, …] (batch-major), up to (without) endToken, at most maxLength. */
export async function decodeGreedy(
  gpu: Gpu,
  core: EncoderDecoderLayer,
  head: readonly Layer[],
  source: Float32Array,
  B: number,
  o: GreedyDecode,
): Promise<number[][]> {
  // One state a decoder recurrent layer, alive across the submits; the first receives the encoder's.
  const states: RecurrentState[] = core.decoderStateLayers.map((layer) => {
    const bytes = B * layer.units * 4;
    const h = gpu.pool.acquire(bytes, TENSOR_USAGE, `${layer.name}/decode h`);
    return { h, c: layer instanceof Lstm ? gpu.pool.acquire(bytes, TENSOR_USAGE, `${layer.name}/decode c`) : h };
  });
  const owned: Tensor[] = [];
  try {
    const src = tensor(gpu, source, [B, ...core.sourceShape]);
    const start = tensor(gpu, new Float32Array(B).fill(o.startToken), [B, 1]);
    const keep = tensor(gpu, new Float32Array(o.classes).fill(1), [o.classes]);
    // Step i's tokens at rows [i·B, (i + 1)·B): time-major [maxLength, B].
    const tokens = emptyTensor(gpu, [o.maxLength, B], 'decoded tokens');
    owned.push(src, start, keep, tokens);
    await gpu.submit('decode: encoder', (encoder, run) => {
      core.encodeSource(encoder, run, flowOf(src), states[0]);
      for (const state of states.slice(1)) for (const buffer of new Set([state.h, state.c])) encoder.clearBuffer(buffer);
    });
    const result: number[][] = Array.from({ length: B }, () => []);
    const finished = new Uint8Array(B);
    let open = B;
    for (let first = 0; first < o.maxLength && open > 0; first += o.tokensPerSubmit) {
      const end = Math.min(o.maxLength, first + o.tokensPerSubmit);
      const done = gpu.submit(`decode: steps ${first}..${end - 1}`, (encoder, run) => {
        const weights = run.scratch(B * o.classes * 4, 'decode: sampling weights');
        for (let i = first; i < end; i++) {
          const input: Flow = i === 0 ? flowOf(start) : { buffer: tokens.buffer, offset: (i - 1) * B, shape: [B, 1], timeMajor: false };
          let flow = core.encodeTargetSteps(encoder, run, input, states);
          for (const layer of head) flow = layer.encode(encoder, run, flow);
          const pass = encoder.beginComputePass({ label: `decode: token ${i}` });
          encodeSampleToken(gpu, pass, run, {
            probs: flow.buffer,
            ...lastStepRows(flow, o.classes),
            rows: B,
            V: o.classes,
            keep: keep.buffer,
            weights,
            tokens: tokens.buffer,
            out: i * B,
            temperature: 0,
            raw: true,
            seed: 0,
            position: i,
          });
          pass.end();
        }
      });
      const [, values] = await Promise.all([done, readFloats(gpu, tokens.buffer, (end - first) * B, first * B)]);
      for (let s = 0; s < end - first; s++) {
        for (let b = 0; b < B; b++) {
          if (finished[b]) continue;
          const token = values[s * B + b];
          if (token === o.endToken) {
            finished[b] = 1;
            open--;
          } else result[b].push(token);
        }
      }
    }
    return result;
  } finally {
    for (const t of owned) t.dispose();
    for (const state of states) for (const buffer of new Set([state.h, state.c])) gpu.pool.release(buffer);
  }
}

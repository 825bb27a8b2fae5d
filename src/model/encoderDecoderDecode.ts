// Greedy decoding of an encoder–decoder on the GPU: the encoder reads the sources once, then
// each step the decoder reads its previous token (startToken first), its recurrent layers
// carrying their states, and the head's largest value is taken in a kernel (sample_token,
// greedy over the values as they are: probabilities or logits) and fed back through the
// decoder's Embedding without leaving the GPU; `tokensPerSubmit` steps a command buffer and
// one readback each, which also tells whether every row has reached endToken.
import { encodeBeamSelect } from '../kernels/beamSelect.js';
import { encodeGatherRows } from '../kernels/gatherRows.js';
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

export interface BeamDecode extends GreedyDecode {
  beamWidth: number;
  /** The final choice ranks total log probability ÷ length^lengthPenalty (0: the total itself). */
  lengthPenalty: number;
  /** The head gives logits (a linear last layer), not probabilities (softmax). */
  logits: boolean;
}

/**
 * Beam search with `beamWidth` K beams a source, on the GPU: each step the decoder reads the
 * K beams' tokens (rows b·K + k), the beam kernel keeps the K best extensions by total log
 * probability (a finished beam extends with endToken at no cost) and the recurrent states move
 * to the rows of their beams' parents. Resolves to each source's best beam, up to (without)
 * endToken, at most maxLength tokens.
 */
export async function decodeBeam(
  gpu: Gpu,
  core: EncoderDecoderLayer,
  head: readonly Layer[],
  source: Float32Array,
  B: number,
  o: BeamDecode,
): Promise<number[][]> {
  const K = o.beamWidth;
  const R = B * K;
  const pool: GPUBuffer[] = [];
  const acquire = (bytes: number, label: string) => {
    const buffer = gpu.pool.acquire(bytes, TENSOR_USAGE, label);
    pool.push(buffer);
    return buffer;
  };
  // Each decoder state [R, units]; each of its buffers with one to gather it into.
  const states = core.decoderStateLayers.map((layer) => {
    const bytes = R * layer.units * 4;
    const h = acquire(bytes, `${layer.name}/beam h`);
    const state: RecurrentState = { h, c: layer instanceof Lstm ? acquire(bytes, `${layer.name}/beam c`) : h };
    return { state, units: layer.units };
  });
  const moves = states.flatMap(({ state, units }) =>
    [...new Set([state.h, state.c])].map((buffer) => ({ buffer, units, moved: acquire(R * units * 4, 'beam: moved state') })),
  );
  const first = core.decoderStateLayers[0];
  const encoderState: RecurrentState = (() => {
    const bytes = B * first.units * 4;
    const h = acquire(bytes, 'beam: encoder h');
    return { h, c: first instanceof Lstm ? acquire(bytes, 'beam: encoder c') : h };
  })();
  const u32 = (values: Uint32Array<ArrayBuffer>, label: string) => {
    const buffer = acquire(values.byteLength, label);
    gpu.device.queue.writeBuffer(buffer, 0, values);
    return buffer;
  };
  const sourceRows = u32(
    Uint32Array.from({ length: R }, (_, r) => Math.floor(r / K)),
    'beam: source rows',
  );
  const parentRows = acquire(R * 4, 'beam: parent rows');
  const owned: Tensor[] = [];
  try {
    const src = tensor(gpu, source, [B, ...core.sourceShape]);
    const start = tensor(gpu, new Float32Array(R).fill(o.startToken), [R, 1]);
    const ids = emptyTensor(gpu, [R, 1], 'beam tokens');
    const beams = emptyTensor(gpu, [2, R], 'beam scores and ends');
    const history = emptyTensor(gpu, [o.maxLength, R, 2], 'beam history');
    owned.push(src, start, ids, beams, history);
    // Every beam of source b starts from the encoder's state of b (the other decoder layers from zeros).
    await gpu.submit('beam decode: encoder', (encoder, run) => {
      core.encodeSource(encoder, run, flowOf(src), encoderState);
      for (const { state } of states.slice(1)) for (const buffer of new Set([state.h, state.c])) encoder.clearBuffer(buffer);
      encoder.clearBuffer(beams.buffer);
      const pass = encoder.beginComputePass({ label: 'beam decode: states to the beams' });
      for (const key of encoderState.c === encoderState.h ? (['h'] as const) : (['h', 'c'] as const)) {
        encodeGatherRows(gpu, pass, run, {
          src: encoderState[key],
          idx: sourceRows,
          out: states[0].state[key],
          start: 0,
          B: R,
          T: 1,
          F: first.units,
          timeMajor: false,
        });
      }
      pass.end();
    });
    let steps = 0;
    for (let begin = 0; begin < o.maxLength; begin += o.tokensPerSubmit) {
      const end = Math.min(o.maxLength, begin + o.tokensPerSubmit);
      const done = gpu.submit(`beam decode: steps ${begin}..${end - 1}`, (encoder, run) => {
        for (let i = begin; i < end; i++) {
          let flow = core.encodeTargetSteps(
            encoder,
            run,
            i === 0 ? flowOf(start) : flowOf(ids),
            states.map((s) => s.state),
          );
          for (const layer of head) flow = layer.encode(encoder, run, flow);
          const pass = encoder.beginComputePass({ label: `beam decode: step ${i}` });
          encodeBeamSelect(gpu, pass, run, {
            probs: flow.buffer,
            ...lastStepRows(flow, o.classes),
            B,
            K,
            V: o.classes,
            logits: o.logits,
            beams: beams.buffer,
            ids: ids.buffer,
            history: history.buffer,
            historyAt: i * R,
            parentRows,
            endToken: o.endToken,
            first: i === 0,
          });
          // The states follow their beams: row r takes its parent's row.
          for (const { buffer, units, moved } of moves)
            encodeGatherRows(gpu, pass, run, { src: buffer, idx: parentRows, out: moved, start: 0, B: R, T: 1, F: units, timeMajor: false });
          pass.end();
          for (const { buffer, units, moved } of moves) encoder.copyBufferToBuffer(moved, 0, buffer, 0, R * units * 4);
        }
      });
      const [, ended] = await Promise.all([done, readFloats(gpu, beams.buffer, R, R)]);
      steps = end;
      if (o.endToken !== undefined && ended.every((f) => f === 1)) break;
    }
    const [scores, trail] = await Promise.all([readFloats(gpu, beams.buffer, R), readFloats(gpu, history.buffer, steps * R * 2)]);
    return Array.from({ length: B }, (_, b) => bestBeam(scores, trail, b, K, steps, o.endToken, o.lengthPenalty));
  } finally {
    for (const t of owned) t.dispose();
    for (const buffer of pool) gpu.pool.release(buffer);
  }
}

/**
 * Source b's best beam: each of its K beams traced back through the (token, parent) pairs of
 * `steps` steps ([steps, B·K, 2]) and cut before its first endToken; ranked by score ÷
 * length^lengthPenalty (length counting the endToken, as the beam generated it), the first of equals.
 */
function bestBeam(
  scores: Float32Array,
  trail: Float32Array,
  b: number,
  K: number,
  steps: number,
  endToken: number | undefined,
  lengthPenalty: number,
): number[] {
  let best: number[] = [];
  let bestRank = -Infinity;
  for (let k = 0; k < K; k++) {
    const tokens: number[] = [];
    let j = k;
    for (let s = steps - 1; s >= 0; s--) {
      const at = 2 * (s * scores.length + b * K + j); // scores: [B·K], one a beam row
      tokens.push(trail[at]);
      j = trail[at + 1];
    }
    tokens.reverse();
    const end = endToken === undefined ? -1 : tokens.indexOf(endToken);
    const length = Math.max(1, end < 0 ? tokens.length : end + 1);
    const rank = scores[b * K + k] / length ** lengthPenalty;
    if (k === 0 || rank > bestRank) [best, bestRank] = [end < 0 ? tokens : tokens.slice(0, end), rank];
  }
  return best;
}

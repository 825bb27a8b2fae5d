// The suite's cases and their inputs: the case list, seeded inputs and Keras-initialized
// weights, the same f32 values for every system.
import { reference as ref } from 'webgpu-rnn';
import { caseLabel } from './stats.js';
import { type BenchOptions, type CaseSpec, GENERATE_PROMPT_LENGTH, GENERATE_VOCABULARY, type Kind, type Shape } from './types.js';

export function casesFor(options: Pick<BenchOptions, 'quick' | 'filter' | 'train'>): CaseSpec[] {
  const fwd = (B: number, T: number, D: number, H: number, sweep = false): CaseSpec => ({ kind: 'forward', shape: { B, T, D, H }, sweep });
  const gen = (B: number, T: number, H: number): CaseSpec => ({ kind: 'generate', shape: { B, T, D: 32, H }, sweep: false });
  const cases: CaseSpec[] = [fwd(1, 100, 32, 128), fwd(32, 100, 128, 256)];
  if (options.train) cases.push({ kind: 'train', shape: { B: 32, T: 50, D: 64, H: 128 }, sweep: false });
  // Quick: a short generation, ~1 min of the run on a 2-core SwiftShader (ours: ~40 ms a token at H = 128).
  cases.push(options.quick ? gen(1, 50, 128) : gen(1, 200, 256));
  if (!options.quick) {
    cases.push(gen(8, 200, 256));
    for (const B of [1, 8, 64]) for (const H of [32, 64, 128, 256, 512]) cases.push(fwd(B, 100, 64, H, true));
  }
  const filter = options.filter ? new RegExp(options.filter, 'i') : undefined;
  return filter ? cases.filter((c) => filter.test(caseLabel(c.kind, c.shape))) : cases;
}

/** Seeded uniform values in [lo, hi) (mulberry32), as f32 so every side sees the same. */
export function uniform(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296);
  }
  return out;
}

/** The first `steps` steps of x [B, T, D]; generate: x is the prompt [B, P], the same for any T. */
export function prefix(kind: Kind, x: Float32Array, s: Shape, steps: number): Float32Array {
  if (steps === s.T || kind === 'generate') return x;
  const out = new Float32Array(s.B * steps * s.D);
  for (let b = 0; b < s.B; b++) out.set(x.subarray(b * s.T * s.D, b * s.T * s.D + steps * s.D), b * steps * s.D);
  return out;
}

/**
 * Keras-initialized weights (glorot kernel, orthogonal recurrent kernel, unit forget bias),
 * seeded, from the reference's initializers; f32 as every system stores them. Generate: the
 * embedding table [V, D] seeded uniform in [−1, 1) instead of Keras's ±0.05, which barely moves
 * the state: from those, the untrained model's greedy text falls into a 2-cycle after ~40
 * tokens; from these it stays varied over T, and the check compares every token.
 */
const referenceLayers = ref.layers;
const referenceSequential = ref.sequential;

export function initialWeights(kind: Kind, { T, D, H }: Shape, seed: number): Float32Array[] {
  const V = GENERATE_VOCABULARY;
  const model =
    kind === 'generate'
      ? referenceSequential([
          referenceLayers.embedding({ inputDim: V, outputDim: D, inputShape: [null], seed }),
          referenceLayers.lstm({ units: H, returnSequences: true, seed: seed + 1 }),
          referenceLayers.dense({ units: V, activation: 'softmax', seed: seed + 2 }),
        ])
      : referenceSequential([
          referenceLayers.lstm({ units: H, inputShape: [T, D], seed }),
          ...(kind === 'train' ? [referenceLayers.dense({ units: 1, seed: seed + 1 })] : []),
        ]);
  const weights: Float32Array[] = model.getWeights().map((w) => Float32Array.from(w));
  if (kind === 'generate') weights[0] = uniform(V * D, seed + 3);
  return weights;
}

/** Seeded ids in [0, V), [B, GENERATE_PROMPT_LENGTH] batch-major, as f32. */
export function promptIds(B: number, seed: number): Float32Array {
  return uniform(B * GENERATE_PROMPT_LENGTH, seed, 0, GENERATE_VOCABULARY).map(Math.floor);
}

/**
 * A case's inputs for every system: x (forward, train: [B, T, D] in [−1, 1); generate: the
 * prompt ids [B, P]), y (train: [B, 1]), the weights in Keras order.
 */
export function caseInputs(kind: Kind, shape: Shape, seed: number): { x: Float32Array; y?: Float32Array; weights: Float32Array[] } {
  const { B, T, D } = shape;
  return {
    x: kind === 'generate' ? promptIds(B, seed) : uniform(B * T * D, seed),
    y: kind === 'train' ? uniform(B, seed + 1) : undefined,
    weights: initialWeights(kind, shape, seed),
  };
}

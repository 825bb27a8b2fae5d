// The suite's cases and their inputs: the case list, seeded inputs and Keras-initialized
// weights, the same f32 values for every system.
import { reference as ref } from 'webgpu-rnn';
import { caseLabel } from './stats.js';
import type { BenchOptions, CaseSpec, Kind, Shape } from './types.js';

export function casesFor(options: Pick<BenchOptions, 'quick' | 'filter' | 'train'>): CaseSpec[] {
  const fwd = (B: number, T: number, D: number, H: number, sweep = false): CaseSpec => ({ kind: 'forward', shape: { B, T, D, H }, sweep });
  const cases: CaseSpec[] = [fwd(1, 100, 32, 128), fwd(32, 100, 128, 256)];
  if (options.train) cases.push({ kind: 'train', shape: { B: 32, T: 50, D: 64, H: 128 }, sweep: false });
  if (!options.quick) {
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

/** The first `steps` steps of x [B, T, D]. */
export function prefix(x: Float32Array, s: Shape, steps: number): Float32Array {
  if (steps === s.T) return x;
  const out = new Float32Array(s.B * steps * s.D);
  for (let b = 0; b < s.B; b++) out.set(x.subarray(b * s.T * s.D, b * s.T * s.D + steps * s.D), b * steps * s.D);
  return out;
}

/** Keras-initialized weights (glorot kernel, orthogonal recurrent kernel, unit forget bias),
 *  seeded, from the reference's initializers; f32 as every system stores them. */
const referenceLayers = ref.layers;
const referenceSequential = ref.sequential;

export function initialWeights(kind: Kind, { T, D, H }: Shape, seed: number): Float32Array[] {
  const lstm = referenceLayers.lstm({ units: H, inputShape: [T, D], seed });
  const model = referenceSequential(kind === 'forward' ? [lstm] : [lstm, referenceLayers.dense({ units: 1, seed: seed + 1 })]);
  return model.getWeights().map((w) => Float32Array.from(w));
}

// Sampling the next token from a softmax output, as the character-level text generators of
// the LSTM material do: probabilities sharpened or flattened by a temperature.
import { RnnError } from '../spec/errors.js';
import { Random } from '../init/random.js';

/**
 * Index drawn from `probabilities` (non-negative, any sum) re-weighted by `temperature`:
 * p_i^(1/temperature), renormalized. Temperature 1 samples the distribution as it is, below 1
 * it favours the likeliest tokens, and 0 takes the argmax (greedy).
 */
export function sampleIndex(probabilities: ArrayLike<number>, temperature = 1, random: Random = new Random()): number {
  const n = probabilities.length;
  if (n === 0) throw new RnnError('sampleIndex: no probabilities to sample from.');
  if (!(temperature >= 0) || !Number.isFinite(temperature)) throw new RnnError(`sampleIndex: temperature must be a finite number ≥ 0, got ${temperature}.`);
  for (let i = 0; i < n; i++) {
    if (!(probabilities[i] >= 0)) throw new RnnError(`sampleIndex: probability ${i} is ${probabilities[i]}; they must be finite and ≥ 0.`);
  }
  if (temperature === 0) return argmax(probabilities);
  // Work in logs relative to the largest, so that small temperatures do not underflow.
  const top = Math.log(probabilities[argmax(probabilities)]);
  if (!Number.isFinite(top)) throw new RnnError('sampleIndex: every probability is 0.');
  const weights = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    weights[i] = probabilities[i] > 0 ? Math.exp((Math.log(probabilities[i]) - top) / temperature) : 0;
    total += weights[i];
  }
  let u = random.next() * total;
  for (let i = 0; i < n; i++) {
    u -= weights[i];
    if (u < 0 && weights[i] > 0) return i;
  }
  // Rounding left u ≥ 0 after the last term: the last token with weight.
  for (let i = n - 1; i >= 0; i--) if (weights[i] > 0) return i;
  return argmax(probabilities);
}

/** Index of the largest value (the first of equals). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

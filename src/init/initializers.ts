// Weight initializers with Keras semantics, in plain Float64 on the CPU.
import type { Random } from './random.js';

import type { InitializerName } from '../spec/names.js';

export type { InitializerName };

/**
 * Keras's VarianceScaling initializers: (scale, fan mode, distribution). A variance of
 * scale / fan: uniform on ±√(3·scale / fan), or a normal truncated at two standard deviations
 * with stddev √(scale / fan) / 0.87962566103423978 (the truncation's correction, as Keras).
 */
const VARIANCE_SCALING = {
  glorotUniform: [1, 'average', 'uniform'],
  glorotNormal: [1, 'average', 'normal'],
  heUniform: [2, 'in', 'uniform'],
  heNormal: [2, 'in', 'normal'],
  lecunUniform: [1, 'in', 'uniform'],
  lecunNormal: [1, 'in', 'normal'],
} as const;

/** `n` values of variance `scale / fan` (see VARIANCE_SCALING). */
export function varianceScaling(n: number, scale: number, fan: number, distribution: 'uniform' | 'normal', random: Random): Float64Array {
  const out = new Float64Array(n);
  if (distribution === 'uniform') {
    const limit = Math.sqrt((3 * scale) / fan);
    for (let i = 0; i < n; i++) out[i] = random.uniform(-limit, limit);
    return out;
  }
  const stddev = Math.sqrt(scale / fan) / 0.87962566103423978;
  for (let i = 0; i < n; i++) {
    let v = random.normal();
    while (Math.abs(v) > 2) v = random.normal();
    out[i] = stddev * v;
  }
  return out;
}

/** Values for a weight of shape [rows, cols] (fanIn = rows, fanOut = cols, as Keras for a 2-D kernel). */
export function initialize(name: InitializerName, rows: number, cols: number, random: Random): Float64Array {
  const n = rows * cols;
  const out = new Float64Array(n);
  if (name in VARIANCE_SCALING) {
    const [scale, mode, distribution] = VARIANCE_SCALING[name as keyof typeof VARIANCE_SCALING];
    return varianceScaling(n, scale, mode === 'in' ? rows : (rows + cols) / 2, distribution, random);
  }
  switch (name) {
    case 'zeros':
      return out;
    case 'ones':
      return out.fill(1);
    case 'randomNormal':
      for (let i = 0; i < n; i++) out[i] = 0.05 * random.normal();
      return out;
    case 'randomUniform':
      for (let i = 0; i < n; i++) out[i] = random.uniform(-0.05, 0.05);
      return out;
    case 'orthogonal':
      return orthogonal(rows, cols, random);
    default:
      throw new Error(`Unknown initializer '${name as string}'.`);
  }
}

/**
 * A [rows, cols] matrix with orthonormal rows (rows ≤ cols) or columns (rows > cols): the Q of
 * a QR factorization of a standard normal matrix, signs fixed by R's diagonal (as Keras).
 */
export function orthogonal(rows: number, cols: number, random: Random): Float64Array {
  // Orthonormalize the `small` vectors of length `large` by modified Gram–Schmidt.
  const small = Math.min(rows, cols);
  const large = Math.max(rows, cols);
  const vectors: Float64Array[] = [];
  for (let v = 0; v < small; v++) {
    const vec = new Float64Array(large);
    for (let i = 0; i < large; i++) vec[i] = random.normal();
    for (const q of vectors) {
      let dot = 0;
      for (let i = 0; i < large; i++) dot += q[i] * vec[i];
      for (let i = 0; i < large; i++) vec[i] -= dot * q[i];
    }
    let norm = 0;
    for (let i = 0; i < large; i++) norm += vec[i] * vec[i];
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < large; i++) vec[i] /= norm;
    vectors.push(vec);
  }
  const out = new Float64Array(rows * cols);
  for (let v = 0; v < small; v++) {
    for (let i = 0; i < large; i++) {
      if (rows <= cols) out[v * cols + i] = vectors[v][i];
      else out[i * cols + v] = vectors[v][i];
    }
  }
  return out;
}

/**
 * A conv kernel [K, C, F] as Keras initializes it: fan_in = K·C, fan_out = K·F (glorot, he);
 * others as for the [K·C, F] matrix.
 */
export function convKernelInitial(name: InitializerName, K: number, C: number, F: number, random: Random): Float64Array {
  if (name in VARIANCE_SCALING) {
    const [scale, mode, distribution] = VARIANCE_SCALING[name as keyof typeof VARIANCE_SCALING];
    return varianceScaling(K * C * F, scale, mode === 'in' ? K * C : (K * C + K * F) / 2, distribution, random);
  }
  return initialize(name, K * C, F, random);
}

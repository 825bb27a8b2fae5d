// Small numeric helpers: order statistics, FLOP and byte counts, formatting.
import { GENERATE_VOCABULARY, type Kind, type Shape } from './types.js';

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * FLOPs of one LSTM layer: 2·T·B·4H·(D+H) forward; a training step (forward, BPTT with its two
 * weight-gradient GEMMs and dX, update) counts 3× that. The Dense head is left out.
 * Generate, per token and row: the LSTM step 2·4H·(D+H), the Dense 2·H·V, the sampling V (the
 * embedding row is a copy); the prompt's P − 1 extra LSTM steps are left out (< 2 % at T = 200).
 */
export function flops(kind: Kind, s: Shape): number {
  const V = GENERATE_VOCABULARY;
  const forward = 2 * s.T * s.B * 4 * s.H * (s.D + s.H);
  if (kind === 'generate') return forward + s.T * s.B * (2 * s.H * V + V);
  return kind === 'forward' ? forward : 3 * forward;
}

/**
 * Napkin bytes of one run (f32): X read once, the gate buffer G [T,B,4H] written by the input
 * GEMM and read by the steps, Wx and b read once, Wh [H,4H] read at every step, h and c read
 * and written at every step, the output written. A training step moves about 3× that.
 */
export function bytesPerRun(kind: Kind, s: Shape): number {
  const { B, T, D, H } = s;
  if (kind === 'generate') {
    // Per token: every weight read once (the embedding's B rows, Wx, Wh, b, the Dense's kernel
    // and bias), h and c read and written, the probabilities [B, V] written and read, the ids.
    const V = GENERATE_VOCABULARY;
    const weights = B * D + D * 4 * H + H * 4 * H + 4 * H + H * V + V;
    return 4 * T * (weights + 4 * B * H + 2 * B * V + 2 * B);
  }
  const floats = B * T * D + 2 * T * B * 4 * H + D * 4 * H + 4 * H + T * H * 4 * H + T * 4 * B * H + B * H;
  return (kind === 'forward' ? 1 : 3) * 4 * floats;
}

/** Generate: tokens a second over the B rows, T·B / median seconds. */
export function tokensPerSecond(kind: Kind, s: Shape, medianMs: number | null): number | null {
  return kind === 'generate' && medianMs ? (s.T * s.B * 1000) / medianMs : null;
}

export function caseLabel(kind: Kind, s: Shape): string {
  return `${kind} B=${s.B} T=${s.T} D=${s.D} H=${s.H}`;
}

/** Largest |a[i] − b[i]|; NaN if any difference is NaN (a NaN must fail a check). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.NaN;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (Number.isNaN(d)) return Number.NaN;
    if (d > worst) worst = d;
  }
  return worst;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

export function fmtMs(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '—';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

export function fmtNum(x: number | null, digits = 2): string {
  if (x === null || !Number.isFinite(x)) return '—';
  if (Math.abs(x) >= 100) return x.toFixed(0);
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(digits);
}

export function fmtRatio(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '—';
  // Two significant digits below 1 (a native CPU peer can be 1000× faster than a software adapter).
  return x >= 10 ? `${x.toFixed(0)}×` : x >= 1 ? `${x.toFixed(1)}×` : `${x.toPrecision(2)}×`;
}

export function fmtErr(x: number | null): string {
  if (x === null) return '—';
  if (Number.isNaN(x)) return 'NaN';
  return x === 0 ? '0' : x.toExponential(1);
}

export function fmtDuration(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds - 60 * m);
  return m ? `${m}m${String(s).padStart(2, '0')}s` : `${s}s`;
}

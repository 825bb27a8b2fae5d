// The CPU twin of shaders/sample_token.wgsl in Float64: the next token from a softmax row,
// through temperature, top-k, top-p (nucleus) and a list of tokens never drawn.

export interface SamplingRule {
  /** p^(1/temperature), renormalized; 0: the most likely token (greedy). */
  temperature: number;
  /** Only the tokens whose weight is at least the k-th largest (ties at it all kept); 1 ≤ k. */
  topK?: number;
  /** Only the most likely tokens whose total is at least this share of the mass (ties at the last kept); in (0, 1]. */
  topP?: number;
  /** One value a token (V): a token whose value is ≤ 0 is never drawn. */
  keep?: ArrayLike<number>;
  /** Greedy over the kept values as they are (logits, negative or not; NaN never chosen), whatever the temperature. */
  raw?: boolean;
}

export interface SampledToken {
  token: number;
  /**
   * How far, relative, the kept set's decisions lie from flipping (top-k's threshold from the
   * next weight, top-p's cumulative sums from its goal): rounding smaller than this keeps the
   * same tokens. Infinity without top-k and top-p.
   */
  thresholdMargin: number;
  /** The kept tokens whose cumulative interval comes within `delta`·Σ kept w of the draw's target: those rounding of that size may draw. */
  near(delta: number): number[];
}

/**
 * The token drawn from `probabilities` [V] with the uniform `u` ∈ [0, 1): with q the kept
 * positive probabilities and m their max, w = (q/m)^(1/temperature); the token is the first
 * whose cumulative kept weight, in index order, exceeds u·Σ kept w. Greedy (temperature 0, or
 * no positive q): the first index of the largest q.
 */
export function sampleToken(probabilities: ArrayLike<number>, rule: SamplingRule, u: number): SampledToken {
  const V = probabilities.length;
  if (rule.raw) {
    let best = 0;
    let top = -Infinity;
    for (let i = 0; i < V; i++) {
      const v = probabilities[i];
      if ((rule.keep === undefined || rule.keep[i] > 0) && v > top) [best, top] = [i, v];
    }
    return { token: best, thresholdMargin: Infinity, near: () => [best] };
  }
  const q = Float64Array.from({ length: V }, (_, i) => {
    const value = probabilities[i];
    return value > 0 && (rule.keep === undefined || rule.keep[i] > 0) ? value : 0;
  });
  let arg = 0;
  for (let i = 1; i < V; i++) if (q[i] > q[arg]) arg = i;
  const top = q[arg];
  if (rule.temperature === 0 || !(top > 0)) return { token: arg, thresholdMargin: Infinity, near: () => [arg] };
  const inverse = 1 / rule.temperature;
  const w = Float64Array.from(q, (value) => (value > 0 ? (rule.temperature === 1 ? value / top : Math.exp((Math.log(value) - Math.log(top)) * inverse)) : 0));
  const sorted = Float64Array.from(w).sort().reverse();
  let threshold = 0;
  let thresholdMargin = Infinity;
  const k = rule.topK;
  if (k !== undefined && k >= 1 && k < V) {
    threshold = sorted[k - 1];
    if (sorted[k] > 0) thresholdMargin = Math.min(thresholdMargin, (sorted[k - 1] - sorted[k]) / sorted[k - 1]);
  }
  const p = rule.topP;
  if (p !== undefined && p > 0 && p < 1) {
    let mass = 0;
    for (const value of sorted) if (value >= threshold) mass += value;
    const goal = p * mass;
    let cumulative = 0;
    for (let j = 0; j < V && sorted[j] >= threshold; j++) {
      cumulative += sorted[j];
      if (j + 1 < V && sorted[j + 1] === sorted[j]) continue;
      thresholdMargin = Math.min(thresholdMargin, Math.abs(cumulative - goal) / mass);
      if (cumulative >= goal) {
        threshold = sorted[j];
        break;
      }
    }
  }
  let total = 0;
  for (const value of w) if (value > 0 && value >= threshold) total += value;
  const target = u * total;
  // starts[j]..starts[j] + w of kept[j]: the kept tokens' cumulative intervals, in index order.
  const kept: number[] = [];
  const starts: number[] = [];
  let cumulative = 0;
  let token = -1;
  for (let i = 0; i < V; i++) {
    if (!(w[i] > 0 && w[i] >= threshold)) continue;
    kept.push(i);
    starts.push(cumulative);
    cumulative += w[i];
    if (token < 0 && cumulative > target) token = i;
  }
  if (token < 0) token = kept[kept.length - 1];
  const near = (delta: number) => kept.filter((i, j) => starts[j] <= target + delta * total && starts[j] + w[i] > target - delta * total);
  return { token, thresholdMargin, near };
}

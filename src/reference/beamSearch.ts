// The CPU twin of shaders/beam_select.wgsl in Float64: one step of beam search.

export interface BeamState {
  /** [K] cumulative log-probabilities (−Infinity: a dead beam). */
  scores: Float64Array;
  /** [K] 1 where the beam has ended. */
  finished: Uint8Array;
}

export interface BeamStep extends BeamState {
  /** [K] each new beam's token and the beam it extends. */
  tokens: Int32Array;
  parents: Int32Array;
  /** The smallest gap between the K-th and the (K+1)-th candidate scores (how far rounding is from changing the choice). */
  margin: number;
}

/**
 * The K best extensions of the beams: `rows[k]` beam k's V head values (probabilities, or
 * logits with `logits`). A live beam's candidate v scores scores[k] + log p(v); a finished
 * one only continues with `endToken` at no cost; at the `first` step only beam 0 is live. Ties
 * go to the lower candidate k·V + v; a candidate of −Infinity gives a dead beam (token 0).
 */
export function beamStep(rows: readonly ArrayLike<number>[], state: BeamState, options: { endToken?: number; first: boolean; logits: boolean }): BeamStep {
  const K = rows.length;
  const V = rows[0].length;
  const logp = rows.map((row) => {
    if (!options.logits) return Float64Array.from(row, (x) => (x > 0 ? Math.log(x) : -Infinity));
    let top = -Infinity;
    for (let v = 0; v < V; v++) top = Math.max(top, row[v]);
    let sum = 0;
    for (let v = 0; v < V; v++) sum += Math.exp(row[v] - top);
    const normalizer = top + Math.log(sum);
    return Float64Array.from(row, (x) => x - normalizer);
  });
  const candidates: { score: number; c: number }[] = [];
  for (let k = 0; k < K; k++) {
    for (let v = 0; v < V; v++) {
      let score: number;
      if (options.first && k > 0) score = -Infinity;
      else if (state.finished[k]) score = v === options.endToken ? state.scores[k] : -Infinity;
      else score = state.scores[k] === -Infinity ? -Infinity : state.scores[k] + logp[k][v];
      candidates.push({ score, c: k * V + v });
    }
  }
  candidates.sort((a, b) => (b.score === a.score ? a.c - b.c : b.score > a.score ? 1 : -1));
  const out: BeamStep = { scores: new Float64Array(K), finished: new Uint8Array(K), tokens: new Int32Array(K), parents: new Int32Array(K), margin: Infinity };
  for (let j = 0; j < K; j++) {
    const { score, c } = candidates[j];
    const dead = score === -Infinity;
    const [parent, token] = dead ? [0, 0] : [Math.floor(c / V), c % V];
    out.scores[j] = dead ? -Infinity : score;
    out.tokens[j] = token;
    out.parents[j] = parent;
    out.finished[j] = dead || state.finished[parent] || token === options.endToken ? 1 : 0;
  }
  for (let j = 0; j < K && j + 1 < candidates.length; j++) {
    const [a, b] = [candidates[j].score, candidates[j + 1].score];
    if (a > -Infinity && b > -Infinity) out.margin = Math.min(out.margin, a - b);
  }
  return out;
}

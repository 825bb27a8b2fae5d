// The uniform draws of generation's sampling kernel (shaders/sample_token.wgsl), shared with
// the CPU twin (reference/sampling): a counter-based hash of (seed, row, position), so the
// GPU and a CPU loop draw the same u for every token, bit for bit.
import { dropoutHash } from './dropoutMask.js';

/** u ∈ [0, 1) of batch row `row`'s `position`-th generated token: the hash's top 24 bits · 2⁻²⁴ (exact in f32). */
export function samplingUniform(seed: number, row: number, position: number): number {
  return (dropoutHash(seed, row, position) >>> 8) * 2 ** -24;
}

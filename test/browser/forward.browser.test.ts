// @vitest-environment node
// The library in a real browser: headless Chromium (WebGPU on SwiftShader) runs a two-layer LSTM
// forward on the GPU and the same model on the CPU reference, and the page reports the
// difference. See ./harness.ts for how the page is built, served and opened.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertChromium, CHROMIUM_PATH, PAGE_DIST, runPage } from './harness.js';

interface ForwardResult {
  ok: boolean;
  adapter: { vendor: string; architecture: string; description: string; isSoftware: boolean } | null;
  maxAbsError: number | null;
  shape: number[] | null;
  maxAbsReference?: number;
  error?: string;
}

describe('LSTM forward in headless Chromium', () => {
  it('matches the CPU reference on the GPU adapter', async () => {
    // Fail, never skip, when there is no browser: the message says to `apt-get install chromium`.
    assertChromium(CHROMIUM_PATH);

    const run = await runPage<ForwardResult>({
      timeoutMs: 60_000,
      screenshotPath: join(PAGE_DIST, 'screenshot.png'),
    });
    const r = run.result;
    const context = `page result: ${JSON.stringify(r)}\nbrowser problems:\n${run.problems.join('\n') || '(none)'}`;

    expect(r.adapter, `no WebGPU adapter in Chromium\n${context}`).not.toBeNull();
    expect(r.error, context).toBeUndefined();
    expect(r.ok, context).toBe(true);
    // batch 3; the second LSTM layer returns only its last step.
    expect(r.shape, context).toEqual([3, 37]);
    // f32 on the GPU against Float64 on the CPU: every gate pre-activation is a sum of at most
    // 13 + 37 + 1 (layer 1) or 37 + 37 + 1 (layer 2) ≈ 75–100 products of O(1) terms, each
    // rounded at ~6e-8 relative; with σ/tanh (Lipschitz ≤ 1) and only T = 7 steps for the error
    // to travel through, the accumulated difference stays around 1e-6, so 1e-4 is a safe bound
    // that still catches any wrong index, gate order or missing term (those give errors ≥ 1e-2).
    expect(r.maxAbsError, context).not.toBeNull();
    expect(Number.isFinite(r.maxAbsError), context).toBe(true);
    expect(r.maxAbsError!, context).toBeLessThanOrEqual(1e-4);
    // The outputs are not all ~0 (which would make any two implementations agree).
    expect(r.maxAbsReference ?? 0, context).toBeGreaterThan(1e-3);

    console.info(
      `[browser] adapter ${JSON.stringify(r.adapter)}; max |gpu − ref| = ${r.maxAbsError}; ` +
        `build ${run.timings.build.toFixed(0)} ms, launch ${run.timings.launch.toFixed(0)} ms, ` +
        `page ${run.timings.page.toFixed(0)} ms`,
    );
  }, 120_000);
});

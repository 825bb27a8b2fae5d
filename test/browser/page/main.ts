// The browser test page: runs a two-layer LSTM forward on the GPU (WebGPU through the library,
// imported from source) and the same model on the CPU reference (Float64), then publishes the
// comparison as JSON on `window.__result` and renders it in the page. Read by
// test/browser/forward.browser.test.ts through test/browser/harness.ts.
import { createDevice, layers, reference, sequential, tensor } from '../../../src/index.js';

const BATCH = 3;
const STEPS = 7;
const FEATURES = 13;
const UNITS = 37;

interface PageResult {
  ok: boolean;
  adapter: { vendor: string; architecture: string; description: string; isSoftware: boolean } | null;
  maxAbsError: number | null;
  shape: number[] | null;
  /** Max |reference| over the output, to show the comparison is not between two zero vectors. */
  maxAbsReference?: number;
  ms?: number;
  error?: string;
}

declare global {
  interface Window {
    __result?: PageResult;
  }
}

/** mulberry32: a small seeded generator, uniform in [0, 1). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function publish(result: PageResult): void {
  const status = document.getElementById('status');
  if (status) {
    status.textContent = result.ok ? 'OK' : 'FAILED';
    status.className = result.ok ? 'ok' : 'fail';
  }
  const out = document.getElementById('out');
  if (out) out.textContent = JSON.stringify(result, null, 2);
  window.__result = result;
}

/** Set as soon as the device exists, so that a failure later still reports the adapter. */
let adapter: PageResult['adapter'] = null;

async function run(): Promise<PageResult> {
  const started = performance.now();
  const gpu = await createDevice();
  const { vendor, architecture, description, isSoftware } = gpu.info;
  adapter = { vendor, architecture, description, isSoftware };
  try {
    const rand = seeded(12345);
    const data = new Float32Array(BATCH * STEPS * FEATURES);
    for (let i = 0; i < data.length; i++) data[i] = rand() * 2 - 1;

    const model = sequential(gpu, [
      layers.lstm({ units: UNITS, inputShape: [STEPS, FEATURES], returnSequences: true, seed: 1 }),
      layers.lstm({ units: UNITS, seed: 2 }),
    ]);
    const x = tensor(gpu, data, [BATCH, STEPS, FEATURES]);
    const y = model.predict(x);
    const shape = [...y.shape];
    const gpuOut = await y.data();

    const ref = reference.sequential([
      reference.layers.lstm({ units: UNITS, inputShape: [STEPS, FEATURES], returnSequences: true }),
      reference.layers.lstm({ units: UNITS }),
    ]);
    ref.setWeights(await model.getWeightData());
    const refOut = ref.predict(reference.tensor(data, [BATCH, STEPS, FEATURES])).data;

    if (gpuOut.length !== refOut.length) {
      throw new Error(`GPU output has ${gpuOut.length} values, the reference ${refOut.length}`);
    }
    let maxAbsError = 0;
    let maxAbsReference = 0;
    for (let i = 0; i < refOut.length; i++) {
      const d = Math.abs(gpuOut[i] - refOut[i]);
      // NaN must fail the comparison, not vanish in Math.max.
      maxAbsError = Number.isNaN(d) ? Number.NaN : Math.max(maxAbsError, d);
      maxAbsReference = Math.max(maxAbsReference, Math.abs(refOut[i]));
    }
    return {
      ok: Number.isFinite(maxAbsError),
      adapter,
      maxAbsError,
      shape,
      maxAbsReference,
      ms: Math.round(performance.now() - started),
    };
  } finally {
    gpu.destroy();
  }
}

run().then(publish, (e: unknown) => {
  console.error(e);
  publish({
    ok: false,
    adapter,
    maxAbsError: null,
    shape: null,
    error: e instanceof Error ? `${e.name}: ${e.message}` : String(e),
  });
});

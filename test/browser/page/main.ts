// Phase-1 page: a trivial raw-WebGPU compute shader, to prove the harness.
interface PageResult {
  ok: boolean;
  adapter: { vendor: string; architecture: string; description: string; isSoftware: boolean } | null;
  maxAbsError: number | null;
  shape: number[] | null;
  error?: string;
}
declare global {
  interface Window { __result?: PageResult }
}

function publish(r: PageResult): void {
  const status = document.getElementById('status')!;
  status.textContent = r.ok ? 'OK' : 'FAILED';
  status.className = r.ok ? 'ok' : 'fail';
  document.getElementById('out')!.textContent = JSON.stringify(r, null, 2);
  window.__result = r;
}

async function run(): Promise<PageResult> {
  const adapter = await navigator.gpu?.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter');
  const info = adapter.info;
  const device = await adapter.requestDevice();
  const n = 1000;
  const x = new Float32Array(n).map((_, i) => Math.sin(i));
  const buf = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(buf, 0, x);
  const module = device.createShaderModule({ code: `
    @group(0) @binding(0) var<storage, read_write> v: array<f32>;
    @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3u) {
      if (g.x < arrayLength(&v)) { v[g.x] = 2.0 * v[g.x] + 1.0; }
    }` });
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const bind = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: buf } }] });
  const read = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline); pass.setBindGroup(0, bind); pass.dispatchWorkgroups(Math.ceil(n / 64)); pass.end();
  enc.copyBufferToBuffer(buf, 0, read, 0, n * 4);
  device.queue.submit([enc.finish()]);
  await read.mapAsync(GPUMapMode.READ);
  const y = new Float32Array(read.getMappedRange().slice(0));
  read.unmap();
  let maxAbsError = 0;
  for (let i = 0; i < n; i++) maxAbsError = Math.max(maxAbsError, Math.abs(y[i] - (2 * x[i] + 1)));
  device.destroy();
  return {
    ok: true,
    adapter: { vendor: info.vendor, architecture: info.architecture, description: info.description, isSoftware: info.isFallbackAdapter ?? false },
    maxAbsError, shape: [n],
  };
}

run().then(publish, (e: unknown) => {
  publish({ ok: false, adapter: null, maxAbsError: null, shape: null, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
});
export {};

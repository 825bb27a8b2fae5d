// The device wrapper: finds a WebGPU adapter (navigator.gpu in a browser, Dawn's `webgpu`
// package in Node with a software fallback), requests the limits the kernels need, and owns
// the buffer pool, the pipeline cache and the error scopes around every submitted run.

import { BufferPool } from './pool.js';
import { DeviceError, KernelError, LimitError } from '../spec/errors.js';
import { TENSOR_USAGE, UNIFORM_USAGE } from './gpuConstants.js';

export type AdapterChoice = 'default' | 'swiftshader' | 'lavapipe';

export interface CreateDeviceOptions {
  /**
   * Node only. 'default' takes the first hardware adapter and falls back to SwiftShader when
   * there is none; 'swiftshader' and 'lavapipe' pick that software Vulkan driver.
   */
  adapter?: AdapterChoice;
  powerPreference?: GPUPowerPreference;
  /** Print nothing (the one line about a software fallback is otherwise printed). */
  quiet?: boolean;
}

export interface DeviceInfo {
  vendor: string;
  architecture: string;
  description: string;
  /** True for a CPU implementation of WebGPU (SwiftShader, lavapipe, WARP): not a GPU. */
  isSoftware: boolean;
  /** Optional features the device was created with and the library uses. */
  features: string[];
  runtime: 'browser' | 'node';
}

/** The limits the kernels depend on, as granted to the device (the adapter's maxima). */
export interface DeviceLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupSizeX: number;
  maxComputeWorkgroupSizeY: number;
  maxComputeWorkgroupsPerDimension: number;
  maxStorageBuffersPerShaderStage: number;
  minUniformBufferOffsetAlignment: number;
  minStorageBufferOffsetAlignment: number;
}

const REQUESTED_LIMITS: (keyof DeviceLimits)[] = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
];
const USED_FEATURES = ['shader-f16', 'timestamp-query'] as const;

/** How a binding of a kernel is declared in its explicit bind group layout. */
export type BindingKind = 'read' | 'storage' | 'uniform' | 'uniform-dynamic';

/** What a kernel module hands the runtime to build (once per device and cache key) a pipeline. */
export interface KernelSource {
  /** Kernel family, used in error messages. */
  name: string;
  /** Unique per distinct source + constants + bindings. */
  cacheKey: string;
  getShaderSource(): string;
  constants?: Record<string, number>;
  /** Bindings of group 0, in binding order. */
  bindings: readonly BindingKind[];
  /** The shader's entry point; 'main' when absent. */
  entryPoint?: string;
}

export interface CompiledKernel {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
}

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

// Dawn's `create()` result owns the native instance: if it is garbage-collected while a device
// lives, the process dies. Every Gpu keeps its own in `instance`; this set also pins them.
const liveDawnInstances = new Set<unknown>();

export class Gpu {
  readonly pool: BufferPool;
  private readonly pipelines = new Map<string, CompiledKernel>();
  private lostMessage: string | undefined;
  private destroyed = false;

  constructor(
    readonly device: GPUDevice,
    readonly info: DeviceInfo,
    readonly limits: DeviceLimits,
    /** Dawn's instance in Node (kept alive with the device); undefined in a browser. */
    private readonly instance: unknown,
  ) {
    this.pool = new BufferPool(device);
    if (instance) liveDawnInstances.add(instance);
    void device.lost.then((lost) => {
      if (!this.destroyed) this.lostMessage = `${lost.reason}: ${lost.message}`;
    });
  }

  get isLost(): boolean {
    return this.lostMessage !== undefined;
  }

  /** Throws if the device is lost or destroyed: nothing can run on it any more. */
  assertAlive(): void {
    if (this.destroyed) throw new DeviceError('This device was destroyed: create a new one with createDevice().');
    if (this.lostMessage !== undefined) {
      throw new DeviceError(
        `The GPU device was lost (${this.lostMessage}). Create a new device with createDevice() and set the model's weights again (save them regularly during training).`,
      );
    }
  }

  /** The pipeline for `kernel`, compiled on the first request for its cache key. */
  kernel(kernel: KernelSource): CompiledKernel {
    let compiled = this.pipelines.get(kernel.cacheKey);
    if (compiled) return compiled;
    const visibility = 0x4; // GPUShaderStage.COMPUTE
    const layout = this.device.createBindGroupLayout({
      label: kernel.name,
      entries: kernel.bindings.map((kind, binding) => ({
        binding,
        visibility,
        buffer:
          kind === 'read'
            ? { type: 'read-only-storage' as const }
            : kind === 'storage'
              ? { type: 'storage' as const }
              : { type: 'uniform' as const, hasDynamicOffset: kind === 'uniform-dynamic' },
      })),
    });
    const module = this.device.createShaderModule({ label: kernel.name, code: kernel.getShaderSource() });
    const pipeline = this.device.createComputePipeline({
      label: kernel.cacheKey,
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: kernel.entryPoint ?? 'main', constants: kernel.constants },
    });
    compiled = { pipeline, layout };
    this.pipelines.set(kernel.cacheKey, compiled);
    return compiled;
  }

  /** Number of compiled pipelines (a test checks that repeated calls compile nothing new). */
  get pipelineCount(): number {
    return this.pipelines.size;
  }

  /** A bind group for group 0 of `compiled`, buffers in binding order. */
  bindGroup(compiled: CompiledKernel, buffers: readonly (GPUBuffer | GPUBufferBinding)[]): GPUBindGroup {
    return this.device.createBindGroup({
      layout: compiled.layout,
      entries: buffers.map((b, binding) => ({ binding, resource: 'buffer' in b ? b : { buffer: b } })),
    });
  }

  /**
   * Encodes with `encode` into one command buffer and submits it once. Buffers taken from
   * `run` are returned to the pool after the submit. The promise rejects with a KernelError
   * naming `what` if WebGPU reported a validation or memory error.
   */
  submit(what: string, encode: (encoder: GPUCommandEncoder, run: RunScope) => void): Promise<void> {
    this.assertAlive();
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('validation');
    const run = new RunScope(this);
    let thrown: unknown;
    try {
      const encoder = this.device.createCommandEncoder({ label: what });
      encode(encoder, run);
      this.device.queue.submit([encoder.finish()]);
    } catch (error) {
      thrown = error;
    }
    run.releaseAll();
    const scopes = Promise.all([this.device.popErrorScope(), this.device.popErrorScope()]);
    if (thrown !== undefined) {
      scopes.catch(() => {});
      throw thrown;
    }
    const done = scopes.then(([v, m]) => {
      const error = v ?? m;
      if (error) throw new KernelError(`${what} failed on the GPU: ${error.message}`);
    });
    done.catch(() => {}); // callers that never await still get the error through the tensors
    return done;
  }

  /** Throws a LimitError if one storage binding of `bytes` would exceed the adapter's limit. */
  checkBindingSize(bytes: number, what: string): void {
    const limit = Math.min(this.limits.maxStorageBufferBindingSize, this.limits.maxBufferSize);
    if (bytes > limit) {
      throw new LimitError(
        `${what} needs a buffer of ${bytes} bytes, over this adapter's limit of ${limit} bytes (maxStorageBufferBindingSize): use a smaller batch or shorter sequences (split a long sequence into chunks and carry the state).`,
      );
    }
  }

  /** Releases pooled buffers and the device. The Gpu cannot be used afterwards. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.pool.trim();
    this.device.destroy();
    liveDawnInstances.delete(this.instance);
  }
}

/** Buffers borrowed from the pool for one submitted command buffer. */
export class RunScope {
  private readonly borrowed: GPUBuffer[] = [];

  constructor(private readonly gpu: Gpu) {}

  /** A scratch storage buffer of `byteLength` bytes, valid until the submit. */
  scratch(byteLength: number, label?: string): GPUBuffer {
    const buffer = this.gpu.pool.acquire(byteLength, TENSOR_USAGE, label);
    this.borrowed.push(buffer);
    return buffer;
  }

  /** A uniform buffer holding `words` (u32 or f32 per 4 bytes), valid until the submit. */
  uniform(words: Uint32Array | Float32Array | ArrayBuffer): GPUBuffer {
    const bytes = words instanceof ArrayBuffer ? words : words.buffer.slice(words.byteOffset, words.byteOffset + words.byteLength);
    const buffer = this.gpu.pool.acquire(bytes.byteLength, UNIFORM_USAGE, 'uniforms');
    this.gpu.device.queue.writeBuffer(buffer, 0, bytes);
    this.borrowed.push(buffer);
    return buffer;
  }

  releaseAll(): void {
    for (const buffer of this.borrowed) this.gpu.pool.release(buffer);
    this.borrowed.length = 0;
  }
}

/**
 * Creates the device: `navigator.gpu` in a browser; in Node, Dawn's `webgpu` package, with
 * SwiftShader (Debian's chromium package) as the fallback where no hardware adapter exists.
 */
export async function createDevice(options: CreateDeviceOptions = {}): Promise<Gpu> {
  const inBrowser = typeof navigator !== 'undefined' && 'gpu' in navigator && !isNode();
  if (inBrowser) {
    const adapter = await navigator.gpu.requestAdapter({ powerPreference: options.powerPreference });
    if (!adapter) {
      throw new DeviceError(
        'This browser exposes WebGPU but gave no adapter: enable hardware acceleration, or in Chromium start with --enable-unsafe-webgpu (and --enable-unsafe-swiftshader without a GPU).',
      );
    }
    return openDevice(adapter, undefined, 'browser');
  }
  if (!isNode()) {
    throw new DeviceError(
      'WebGPU is not available here (no navigator.gpu): use a browser with WebGPU (Chrome or Edge 113+, Safari 26+, Firefox 141+) or Node with the `webgpu` package.',
    );
  }
  return createNodeDevice(options);
}

function isNode(): boolean {
  return typeof process !== 'undefined' && !!process.versions?.node;
}

interface DawnModule {
  create(flags: string[]): GPU;
}

async function createNodeDevice(options: CreateDeviceOptions): Promise<Gpu> {
  const dawn = await loadDawn();
  const fs = await import(/* @vite-ignore */ 'node:fs');
  const os = await import(/* @vite-ignore */ 'node:os');
  const path = await import(/* @vite-ignore */ 'node:path');
  if (!process.env.XDG_RUNTIME_DIR) {
    // Vulkan drivers complain without it; a private directory under the temp dir will do.
    const dir = path.join(os.tmpdir(), `webgpu-rnn-xdg-${process.getuid?.() ?? 0}`);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    process.env.XDG_RUNTIME_DIR = dir;
  }
  const choice = options.adapter ?? 'default';
  const powerPreference = options.powerPreference ?? 'high-performance';

  const tryInstance = async (): Promise<{ instance: GPU; adapter: GPUAdapter } | undefined> => {
    const instance = dawn.create([]);
    const adapter = await instance.requestAdapter({ powerPreference });
    return adapter ? { instance, adapter } : undefined;
  };

  let found: { instance: GPU; adapter: GPUAdapter } | undefined;
  if (choice === 'default') found = await tryInstance();
  if (!found && choice !== 'lavapipe') {
    if (fs.existsSync(SWIFTSHADER_ICD)) {
      process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
      found = await tryInstance();
      if (found && choice === 'default' && !options.quiet) {
        console.warn(`webgpu-rnn: no hardware GPU adapter found; using SwiftShader (${SWIFTSHADER_ICD}), a CPU implementation.`);
      }
    }
  }
  if (choice === 'lavapipe') {
    const icd = findLavapipeIcd(fs);
    if (icd) {
      process.env.VK_ICD_FILENAMES = icd;
      found = await tryInstance();
    }
  }
  if (!found) {
    const what = choice === 'default' ? 'No WebGPU adapter was found' : `The ${choice} adapter was not found`;
    throw new DeviceError(
      `${what}. Without a GPU, install a software Vulkan driver: on Debian/Ubuntu \`apt-get install chromium libvulkan1\` gives SwiftShader (${SWIFTSHADER_ICD}); lavapipe needs Mesa ≥ 24 (\`apt-get install -t bookworm-backports mesa-vulkan-drivers\`).`,
    );
  }
  return openDevice(found.adapter, found.instance, 'node');
}

async function loadDawn(): Promise<DawnModule> {
  const name = 'webgpu';
  try {
    return (await import(/* @vite-ignore */ name)) as DawnModule;
  } catch (cause) {
    throw new DeviceError(
      `Node has no WebGPU: the \`webgpu\` package (Dawn) failed to load (${(cause as Error).message}). Run \`npm install webgpu\`; on Linux it also needs \`libvulkan1\`.`,
    );
  }
}

function findLavapipeIcd(fs: typeof import('node:fs')): string | undefined {
  const dir = '/usr/share/vulkan/icd.d';
  if (!fs.existsSync(dir)) return undefined;
  const file = fs.readdirSync(dir).find((f) => f.startsWith('lvp_icd'));
  return file ? `${dir}/${file}` : undefined;
}

async function openDevice(adapter: GPUAdapter, instance: unknown, runtime: 'browser' | 'node'): Promise<Gpu> {
  const requiredLimits: Record<string, number> = {};
  for (const name of REQUESTED_LIMITS) requiredLimits[name] = adapter.limits[name];
  const requiredFeatures = USED_FEATURES.filter((f) => adapter.features.has(f)) as GPUFeatureName[];
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures, label: 'webgpu-rnn' });
  const info = adapter.info;
  const description = info.description || info.device || '';
  const isSoftware =
    /swiftshader|llvmpipe|lavapipe|warp|software|basic render/i.test(`${info.vendor} ${info.architecture} ${description}`) ||
    (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  const limits = {} as DeviceLimits;
  for (const name of [...REQUESTED_LIMITS, 'minUniformBufferOffsetAlignment', 'minStorageBufferOffsetAlignment'] as const) {
    limits[name] = device.limits[name];
  }
  return new Gpu(
    device,
    { vendor: info.vendor, architecture: info.architecture, description, isSoftware, features: [...requiredFeatures], runtime },
    limits,
    instance,
  );
}

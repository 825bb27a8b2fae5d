// The device wrapper (createDevice.ts makes it): owns the buffer pool, the pipeline cache, the
// error scopes around every submitted run, the live-tensor count and the dispatch log.

import type { DispatchLog, DispatchRecord } from './dispatchRecord.js';
import { BufferPool, type PoolStats } from './pool.js';
import { DeviceError, KernelError, LimitError, RnnError } from '../spec/errors.js';
import { TENSOR_USAGE, UNIFORM_USAGE } from './gpuConstants.js';
import { Tuner } from './tuner.js';

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

/** Gpu.memory(): live tensors, the buffer pool, compiled pipelines. */
export interface MemoryReport extends PoolStats {
  /** Tensors created on this device and not disposed (a model's weights are tensors too). */
  tensors: number;
  pipelines: number;
}

export interface CompiledKernel {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
}

// Dawn's `create()` result owns the native instance: if it is garbage-collected while a device
// lives, the process dies. Every Gpu keeps its own in `instance`; this set also pins them.
const liveDawnInstances = new Set<unknown>();

export class Gpu {
  readonly pool: BufferPool;
  /** Which kernel variants run: the cost model's choice, or timed on this adapter (createDevice's `tune`). */
  tuner: Tuner<RunScope> = new Tuner<RunScope>(this, 'off');
  private readonly pipelines = new Map<string, CompiledKernel>();
  private lostMessage: string | undefined;
  private liveTensors = 0;
  private dispatchLog: DispatchLog | undefined;
  private destroyed = false;

  constructor(
    readonly device: GPUDevice,
    readonly info: DeviceInfo,
    readonly limits: DeviceLimits,
    /** Dawn's instance in Node (kept alive with the device); undefined in a browser. */
    private readonly instance: unknown,
    /** False for a device the application handed in (createDevice({ device })): never destroyed here. */
    private readonly ownsDevice = true,
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

  /**
   * Runs `encode` (which encodes and submits work) with `log` attached: every dispatch the
   * kernels encode meanwhile is added to it with its work formula. Only one log at a time.
   */
  async recordDispatches<T>(log: DispatchLog, encode: () => Promise<T> | T): Promise<T> {
    if (this.dispatchLog) throw new RnnError('recordDispatches: another recording is running on this device.');
    this.dispatchLog = log;
    try {
      return await encode();
    } finally {
      this.dispatchLog = undefined;
    }
  }

  /** `encode` with no dispatch recorded, also while recordDispatches runs (the tuner's trials). */
  unrecorded(encode: () => void): void {
    const log = this.dispatchLog;
    this.dispatchLog = undefined;
    try {
      encode();
    } finally {
      this.dispatchLog = log;
    }
  }

  /** Lost or destroyed: nothing can run on this device any more. */
  get isGone(): boolean {
    return this.destroyed || this.isLost;
  }

  /** Called by kernels/dispatch.ts for every dispatch; a no-op unless a log is attached. */
  noteDispatch(record: () => DispatchRecord): void {
    this.dispatchLog?.add(record());
  }

  /** Called by Tensor's constructor (+1) and dispose() (−1). */
  countTensor(delta: 1 | -1): void {
    this.liveTensors += delta;
  }

  /**
   * What this device holds now, for finding leaks: live tensors (created and not disposed),
   * the buffer pool (free buffers and bytes, all bytes allocated, buffers ever created) and the
   * compiled pipelines. In a steady loop of predict or fit every figure stays flat.
   */
  memory(): MemoryReport {
    return { tensors: this.liveTensors, ...this.pool.stats(), pipelines: this.pipelines.size };
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

  /** Throws a LimitError if one storage binding of `bytes` would exceed the adapter's limit; `remedy` says what to do. */
  checkBindingSize(
    bytes: number,
    what: string,
    remedy = 'use a smaller batch or shorter sequences (split a long sequence into chunks and carry the state)',
  ): void {
    const limit = Math.min(this.limits.maxStorageBufferBindingSize, this.limits.maxBufferSize);
    if (bytes > limit) {
      throw new LimitError(`${what} needs a buffer of ${bytes} bytes, over this adapter's limit of ${limit} bytes (maxStorageBufferBindingSize): ${remedy}.`);
    }
  }

  /**
   * Releases pooled buffers and the device (not a device the application handed in). The Gpu
   * cannot be used afterwards.
   */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.pool.trim();
    if (this.ownsDevice) this.device.destroy();
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

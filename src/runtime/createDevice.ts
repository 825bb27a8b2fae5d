// createDevice: finds a WebGPU adapter (navigator.gpu in a browser; in Node Dawn's `webgpu`
// package with a SwiftShader or lavapipe fallback), requests the limits the kernels need and
// wraps the device in a Gpu.
import { DeviceError } from '../spec/errors.js';
import type { PowerPreference } from './webgpuGlobals.js';
import { type DeviceLimits, Gpu } from './device.js';
import { type AdapterChoice, requestNodeAdapter } from './nodeAdapter.node.js';
import { openTuneStore } from './tuneStore.node.js';
import { TUNE_MODES, type TuneMode, Tuner } from './tuner.js';

export type { AdapterChoice };

export interface CreateDeviceOptions {
  /**
   * Node only. 'default' takes the first hardware adapter and falls back to SwiftShader when
   * there is none; 'swiftshader' and 'lavapipe' pick that software Vulkan driver.
   */
  adapter?: AdapterChoice;
  powerPreference?: PowerPreference;
  /**
   * Node: print nothing. Otherwise, where 'default' finds no hardware adapter and falls back to
   * a software one, one line on stderr says so (and nothing comes from Dawn).
   */
  quiet?: boolean;
  /**
   * A `GPUDevice` the application already has (for example one it renders with): the library
   * runs on it instead of requesting its own. The device stays the application's:
   * `gpu.destroy()` releases the library's buffers, not the device. Its limits are those it was
   * requested with, which bound the model sizes (a LimitError says when one is too small).
   */
  device?: GPUDevice;
  /**
   * Kernel variants timed on this adapter ('fast' or 'full') instead of the cost model's
   * choice ('off', the default: deterministic). A shape met for the first time runs with the
   * cost model's choice while its candidates are timed after it; `gpu.tuner.settled()`
   * resolves when they have been.
   */
  tune?: TuneMode;
  /**
   * Where tuned choices persist between sessions (with tune 'fast' or 'full'): in Node a JSON
   * file path, in a browser a name in IndexedDB. Not kept by default.
   */
  tuneCache?: string;
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

/**
 * Creates the device: `navigator.gpu` in a browser; in Node, Dawn's `webgpu` package, with
 * SwiftShader (Debian's chromium package) as the fallback where no hardware adapter exists.
 *
 * @example
 * ```ts
 * const gpu = await createDevice();                       // the default adapter
 * console.log(gpu.info.description, gpu.info.isSoftware);
 * const shared = await createDevice({ device: myDevice }); // a GPUDevice the page already has
 * // …
 * gpu.destroy();                                          // frees every buffer of the library
 * ```
 */
export async function createDevice(options: CreateDeviceOptions = {}): Promise<Gpu> {
  const tune = checkTuneOptions(options);
  // The store opens before the device: an unreadable tuneCache leaves nothing to release.
  const opened =
    options.tuneCache === undefined
      ? undefined
      : await openTuneStore(options.tuneCache).catch((error: unknown) => {
          const why = error instanceof Error ? error.message : String(error);
          throw new DeviceError(`createDevice: tuneCache '${options.tuneCache}' cannot be read (${why}): give a file path this process may read and write.`);
        });
  const gpu = await createUntunedDevice(options);
  if (tune !== 'off') gpu.tuner = new Tuner(gpu, tune, opened?.store, opened?.stored);
  return gpu;
}

function checkTuneOptions(options: CreateDeviceOptions): TuneMode {
  const tune = options.tune ?? 'off';
  if (!TUNE_MODES.includes(tune))
    throw new DeviceError(`createDevice: tune must be one of ${TUNE_MODES.map((m) => `'${m}'`).join(', ')}, got ${String(tune)}.`);
  if (options.tuneCache !== undefined && (typeof options.tuneCache !== 'string' || options.tuneCache === '')) {
    throw new DeviceError(`createDevice: tuneCache is a file path (Node) or a name (browser), got ${String(options.tuneCache)}.`);
  }
  if (options.tuneCache !== undefined && tune === 'off') {
    throw new DeviceError(
      "createDevice: tuneCache keeps the choices of tune 'fast' or 'full'; with tune 'off' (the default) nothing is tuned: add tune, or leave tuneCache out.",
    );
  }
  return tune;
}

async function createUntunedDevice(options: CreateDeviceOptions): Promise<Gpu> {
  if (options.device !== undefined) return adoptDevice(options);
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
  const { adapter, instance } = await requestNodeAdapter(options);
  const gpu = await openDevice(adapter, instance, 'node');
  if (gpu.info.isSoftware && (options.adapter ?? 'default') === 'default' && !options.quiet) {
    const name = gpu.info.description || gpu.info.architecture || gpu.info.vendor;
    console.warn(`webgpu-rnn: no hardware GPU adapter found; running on ${name}, a CPU implementation of WebGPU (slow; quiet: true hides this line).`);
  }
  return gpu;
}

function adoptDevice(options: CreateDeviceOptions): Gpu {
  const device = options.device as Partial<GPUDevice> | null;
  const looksLikeDevice =
    typeof device === 'object' &&
    device !== null &&
    typeof device.createBuffer === 'function' &&
    typeof device.queue === 'object' &&
    device.lost instanceof Promise;
  if (!looksLikeDevice) {
    throw new DeviceError(
      `createDevice({ device }): device must be a GPUDevice (from adapter.requestDevice()), got ${device === null ? 'null' : typeof device}.`,
    );
  }
  if (options.adapter !== undefined || options.powerPreference !== undefined) {
    throw new DeviceError('createDevice({ device }): adapter and powerPreference choose a new device; leave them out when you pass your own.');
  }
  const gpuDevice = device as GPUDevice;
  const info = gpuDevice.adapterInfo ?? ({ vendor: '', architecture: '', description: '', device: '' } as GPUAdapterInfo);
  const features = USED_FEATURES.filter((f) => gpuDevice.features.has(f));
  return wrapDevice(gpuDevice, info, features, undefined, isNode() ? 'node' : 'browser', false);
}

function isNode(): boolean {
  return typeof process !== 'undefined' && !!process.versions?.node;
}

async function openDevice(adapter: GPUAdapter, instance: unknown, runtime: 'browser' | 'node'): Promise<Gpu> {
  const requiredLimits: Record<string, number> = {};
  for (const name of REQUESTED_LIMITS) requiredLimits[name] = adapter.limits[name];
  const requiredFeatures = USED_FEATURES.filter((f) => adapter.features.has(f)) as GPUFeatureName[];
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures, label: 'webgpu-rnn' });
  return wrapDevice(device, adapter.info, requiredFeatures, instance, runtime, true);
}

function wrapDevice(
  device: GPUDevice,
  info: GPUAdapterInfo,
  features: readonly string[],
  instance: unknown,
  runtime: 'browser' | 'node',
  ownsDevice: boolean,
): Gpu {
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
    { vendor: info.vendor, architecture: info.architecture, description, isSoftware, features: [...features], runtime },
    limits,
    instance,
    ownsDevice,
  );
}

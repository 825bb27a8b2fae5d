// createDevice: finds a WebGPU adapter (navigator.gpu in a browser; in Node Dawn's `webgpu`
// package with a SwiftShader or lavapipe fallback), requests the limits the kernels need and
// wraps the device in a Gpu.
import { DeviceError } from '../spec/errors.js';
import { type DeviceLimits, Gpu } from './device.js';

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

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

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

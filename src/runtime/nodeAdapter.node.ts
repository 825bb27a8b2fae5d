// Node's adapter: Dawn's `webgpu` package, with a SwiftShader or lavapipe fallback. The browser
// build of the library replaces this module by nodeAdapter.browser.ts (scripts/browserTwins.ts),
// so that nothing in the browser entry names `node:*` or `webgpu`.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DeviceError } from '../spec/errors.js';
import type { PowerPreference } from './webgpuGlobals.js';

export type AdapterChoice = 'default' | 'swiftshader' | 'lavapipe';

export interface NodeAdapterOptions {
  adapter?: AdapterChoice;
  powerPreference?: PowerPreference;
}

/** Dawn's adapter and its instance (the instance must outlive the device: see Gpu). */
export interface NodeAdapter {
  adapter: GPUAdapter;
  instance: unknown;
}

interface DawnModule {
  create(flags: string[]): GPU;
}

export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export async function requestNodeAdapter(options: NodeAdapterOptions): Promise<NodeAdapter> {
  const dawn = await loadDawn();
  if (!process.env.XDG_RUNTIME_DIR) {
    // Vulkan drivers complain without it; a private directory under the temp dir will do.
    const dir = path.join(os.tmpdir(), `webgpu-rnn-xdg-${process.getuid?.() ?? 0}`);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    process.env.XDG_RUNTIME_DIR = dir;
  }
  const choice = options.adapter ?? 'default';
  const powerPreference = options.powerPreference ?? 'high-performance';

  const tryInstance = async (): Promise<NodeAdapter | undefined> => {
    const instance = dawn.create([]);
    const adapter = await instance.requestAdapter({ powerPreference });
    return adapter ? { instance, adapter } : undefined;
  };

  let found: NodeAdapter | undefined;
  // Without any Vulkan driver Dawn prints three lines of loader errors: ask only where one exists.
  if (choice === 'default' && hasSystemDriver()) found = await tryInstance();
  if (!found && choice !== 'lavapipe' && fs.existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    found = await tryInstance();
  }
  if (choice === 'lavapipe') {
    const icd = findLavapipeIcd();
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
  return found;
}

async function loadDawn(): Promise<DawnModule> {
  try {
    return (await import('webgpu')) as DawnModule;
  } catch (cause) {
    throw new DeviceError(
      `Node has no WebGPU: the \`webgpu\` package (Dawn) failed to load (${(cause as Error).message}). Run \`npm install webgpu\`; on Linux it also needs \`libvulkan1\`.`,
    );
  }
}

/**
 * Whether Dawn's default instance can find a driver: always off Linux (Metal, D3D12); on Linux
 * when a Vulkan ICD is named by the environment or lies where the Vulkan loader looks.
 */
export function hasSystemDriver(env: Record<string, string | undefined> = process.env, exists: (file: string) => boolean = fs.existsSync): boolean {
  if (process.platform !== 'linux') return true;
  if (env.VK_ICD_FILENAMES || env.VK_DRIVER_FILES || env.VK_ADD_DRIVER_FILES) return true;
  const home = env.HOME ?? os.homedir();
  const configDirs = [env.XDG_CONFIG_HOME ?? path.join(home, '.config'), ...(env.XDG_CONFIG_DIRS ?? '/etc/xdg').split(':'), '/etc'];
  const dataDirs = [env.XDG_DATA_HOME ?? path.join(home, '.local/share'), ...(env.XDG_DATA_DIRS ?? '/usr/local/share:/usr/share').split(':')];
  return [...configDirs, ...dataDirs].some((dir) => {
    const icdDir = path.join(dir, 'vulkan', 'icd.d');
    if (!dir || !exists(icdDir)) return false;
    try {
      return fs.readdirSync(icdDir).some((file) => file.endsWith('.json'));
    } catch {
      return false;
    }
  });
}

function findLavapipeIcd(): string | undefined {
  const dir = '/usr/share/vulkan/icd.d';
  if (!fs.existsSync(dir)) return undefined;
  const file = fs.readdirSync(dir).find((f) => f.startsWith('lvp_icd'));
  return file ? `${dir}/${file}` : undefined;
}

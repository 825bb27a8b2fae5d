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
 * Whether Dawn's default instance can find a driver it takes, without printing the Vulkan
 * loader's or its own complaints: always off Linux (Metal, D3D12); on Linux when the environment
 * names a driver (the user's choice), or an ICD file lies where the Vulkan loader looks and it
 * can work here:
 * - a hardware driver only where a GPU device node exists (/dev/dri/renderD*, NVIDIA's
 *   /dev/nvidiactl — present whichever /dev/nvidiaN a container is given — or WSL's /dev/dxg);
 *   Mesa's hardware ICDs are installed with lavapipe on every Debian machine;
 * - lavapipe only when its ICD declares Vulkan ≥ 1.3: Dawn rejects older ones (Debian
 *   bookworm's Mesa 22.3 declares 1.1) with a three-line warning. (Dawn is known to take Mesa ≥ 24.)
 */
export function hasSystemDriver(env: Record<string, string | undefined> = process.env, exists: (file: string) => boolean = fs.existsSync): boolean {
  if (process.platform !== 'linux') return true;
  if (env.VK_ICD_FILENAMES || env.VK_DRIVER_FILES || env.VK_ADD_DRIVER_FILES) return true;
  const gpuNode =
    ['/dev/nvidiactl', '/dev/nvidia0', '/dev/dxg'].some(exists) || (exists('/dev/dri') && readdir('/dev/dri').some((f) => f.startsWith('renderD')));
  return icdFiles(env, exists).some((file) => (isLavapipe(file) ? lavapipeIsCurrent(file) : gpuNode));
}

/** The ICD files in the Vulkan loader's search directories (XDG config and data dirs, /etc). */
function icdFiles(env: Record<string, string | undefined>, exists: (file: string) => boolean): string[] {
  const home = env.HOME ?? os.homedir();
  const configDirs = [env.XDG_CONFIG_HOME ?? path.join(home, '.config'), ...(env.XDG_CONFIG_DIRS ?? '/etc/xdg').split(':'), '/etc'];
  const dataDirs = [env.XDG_DATA_HOME ?? path.join(home, '.local/share'), ...(env.XDG_DATA_DIRS ?? '/usr/local/share:/usr/share').split(':')];
  return [...configDirs, ...dataDirs].flatMap((dir) => {
    const icdDir = path.join(dir, 'vulkan', 'icd.d');
    if (!dir || !exists(icdDir)) return [];
    return readdir(icdDir)
      .filter((file) => file.endsWith('.json'))
      .map((file) => path.join(icdDir, file));
  });
}

function readdir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function isLavapipe(icdFile: string): boolean {
  return path.basename(icdFile).startsWith('lvp_icd');
}

/** Whether a lavapipe ICD file declares Vulkan ≥ 1.3 ({ ICD: { api_version: '1.3.275' } }). */
function lavapipeIsCurrent(icdFile: string): boolean {
  try {
    const version = (JSON.parse(fs.readFileSync(icdFile, 'utf8')) as { ICD?: { api_version?: unknown } }).ICD?.api_version;
    const [major, minor] = String(version).split('.').map(Number);
    return major > 1 || (major === 1 && minor >= 3);
  } catch {
    return false;
  }
}

function findLavapipeIcd(): string | undefined {
  return icdFiles(process.env, fs.existsSync).find(isLavapipe);
}

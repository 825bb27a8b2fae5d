// The browser build's stand-in for nodeAdapter.node.ts (same exports, checked by the types):
// the browser entry of the package never names `node:*` or `webgpu`.
import { DeviceError } from '../spec/errors.js';
import type * as Node from './nodeAdapter.node.js';

export type { AdapterChoice, NodeAdapter, NodeAdapterOptions } from './nodeAdapter.node.js';

export const SWIFTSHADER_ICD: typeof Node.SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export const requestNodeAdapter: typeof Node.requestNodeAdapter = async () => {
  throw new DeviceError(
    "This is webgpu-rnn's browser build, which has no Dawn: in Node, import the package without the 'browser' export condition (it resolves to the Node build).",
  );
};

export const hasSystemDriver: typeof Node.hasSystemDriver = () => false;

// The browser build's stand-in for terminalBar.node.ts (same exports, checked by the types): a
// page has no terminal, so fit logs one line an epoch.
import type * as Node from './terminalBar.node.js';

export type { Bar } from './terminalBar.node.js';

export const terminalBar: typeof Node.terminalBar = async () => undefined;

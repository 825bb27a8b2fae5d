// The recurrent layers and their CPU references with dropout, shared by recurrentDropout*.test.ts.
import { layers, reference } from '../../src/index.js';
import type { Layer } from '../../src/layers/layer.js';
import type { ReferenceLayer } from '../../src/reference/sequential.js';

export type Kind = 'lstm' | 'gruResetAfter' | 'gruResetBefore' | 'simpleRNN';
export const KINDS: Kind[] = ['lstm', 'gruResetAfter', 'gruResetBefore', 'simpleRNN'];

export interface RecurrentOptions {
  units: number;
  returnSequences?: boolean;
  goBackwards?: boolean;
  dropout?: number;
  recurrentDropout?: number;
  seed?: number;
  inputShape?: [number, number];
}

export function gpuLayer(kind: Kind, o: RecurrentOptions): Layer {
  if (kind === 'lstm') return layers.lstm(o);
  if (kind === 'simpleRNN') return layers.simpleRNN(o);
  return layers.gru({ ...o, resetAfter: kind === 'gruResetAfter' });
}

export function refLayer(kind: Kind, o: RecurrentOptions): ReferenceLayer {
  if (kind === 'lstm') return reference.layers.lstm(o);
  if (kind === 'simpleRNN') return reference.layers.simpleRNN(o) as unknown as ReferenceLayer;
  return reference.layers.gru({ ...o, resetAfter: kind === 'gruResetAfter' }) as unknown as ReferenceLayer;
}

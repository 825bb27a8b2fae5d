// An ONNX LSTM / GRU / RNN node read as one of our recurrent cells: its attributes as the
// cell's options, its W, R, B initializers as Keras weights (one list a direction). What
// Keras cells cannot express — peepholes, clipping, coupled input-forget gates, sequence
// lengths, initial states other than zeros, activations with other constants, a direction with
// activations of its own — is a reason handed to `fail`.
import type { OnnxConstant, OnnxNode } from './onnxRead.js';
import { onnxRecurrentToKeras } from './pytorch.js';

export type CellOp = 'LSTM' | 'GRU' | 'RNN';

export interface RecurrentSpec {
  op: CellOp;
  name: string;
  direction: 'forward' | 'reverse' | 'bidirectional';
  dirs: number;
  units: number;
  /** Steps of the input, when known. */
  steps: number | null;
  /** The cell's options (without returnSequences and goBackwards). */
  config: Record<string, unknown>;
  /** Keras weights of each direction. */
  weights: Float32Array[][];
  /** Made into a layer already. */
  taken?: boolean;
}

/** Our activation of each ONNX recurrent activation name. */
const RECURRENT_ACTIVATIONS: Record<string, string> = {
  Sigmoid: 'sigmoid',
  Tanh: 'tanh',
  Relu: 'relu',
  HardSigmoid: 'hardSigmoid',
  Elu: 'elu',
  Softplus: 'softplus',
  Softsign: 'softsign',
};
/** ONNX's default activations of each op: LSTM f, g, h; GRU f, g; RNN f. */
const DEFAULTS: Record<CellOp, string[]> = { LSTM: ['Sigmoid', 'Tanh', 'Tanh'], GRU: ['Sigmoid', 'Tanh'], RNN: ['Tanh'] };
/** ONNX's default alpha (and beta) of the activations that take them: Keras's constants. */
const CONSTANTS: Record<string, [number, number?]> = { HardSigmoid: [0.2, 0.5], Elu: [1] };

type Value = { kind: string; c?: OnnxConstant } | undefined;

export function recurrentFromOnnx(node: OnnxNode, inputs: Value[], features: number, steps: number | null, fail: (why: string) => never): RecurrentSpec {
  const op = node.op as CellOp;
  const at = node.attributes;
  const units = at.hidden_size as number;
  if (!(Number.isInteger(units) && units >= 1)) fail(`has hidden_size ${String(at.hidden_size)}`);
  const direction = ((at.direction as string | undefined) ?? 'forward') as RecurrentSpec['direction'];
  if (!['forward', 'reverse', 'bidirectional'].includes(direction)) fail(`has direction '${direction}'`);
  const dirs = direction === 'bidirectional' ? 2 : 1;
  if (at.clip !== undefined) fail('clips its cell (clip), which Keras cells do not');
  if ((at.input_forget ?? 0) !== 0) fail('couples the input and forget gates (input_forget), which Keras LSTMs do not');
  const constant = (i: number, what: string): OnnxConstant | undefined => {
    const v = inputs[i];
    if (v === undefined) return undefined;
    if (v.kind !== 'const' || !v.c) return fail(`takes its ${what} from the graph, not from an initializer`);
    return v.c;
  };
  const [W, R, B] = [constant(1, 'W'), constant(2, 'R'), constant(3, 'B')];
  if (!W || !R) return fail('has no W or R initializer');
  if (inputs[4] !== undefined) fail('takes sequence_lens; Keras cells run every step (mask the padding instead)');
  for (const [i, what] of [
    [5, 'initial_h'],
    [6, 'initial_c'],
  ] as const) {
    const state = constant(i, what);
    if (state?.values.some((v) => v !== 0)) fail(`starts from a ${what} that is not zeros`);
  }
  if (op === 'LSTM' && inputs[7] !== undefined) fail('has peepholes (P), which Keras LSTMs do not');

  // The activations, the same for each direction, with their constants.
  const names = (at.activations as string[] | undefined) ?? [...DEFAULTS[op], ...(dirs === 2 ? DEFAULTS[op] : [])];
  const perDirection = DEFAULTS[op].length;
  if (names.length !== perDirection * dirs) fail(`names ${names.length} activations; ${op} takes ${perDirection} a direction`);
  if (dirs === 2 && names.slice(0, perDirection).join() !== names.slice(perDirection).join()) fail('runs its two directions with different activations');
  const alphas = (at.activation_alpha as number[] | undefined) ?? [];
  const betas = (at.activation_beta as number[] | undefined) ?? [];
  let constants = 0;
  for (const name of names) {
    if (!(name in RECURRENT_ACTIVATIONS)) fail(`uses the activation ${name}, which our cells do not have`);
    const defaults = CONSTANTS[name];
    if (!defaults) continue;
    const [alpha, beta] = [alphas[constants], betas[constants]];
    constants++;
    if (
      (alpha !== undefined && Math.fround(alpha) !== Math.fround(defaults[0])) ||
      (beta !== undefined && defaults[1] !== undefined && Math.fround(beta) !== Math.fround(defaults[1]))
    ) {
      fail(`uses ${name} with alpha ${alpha}, beta ${beta}; Keras's ${name === 'Elu' ? 'elu has alpha 1' : 'hard sigmoid is 0.2·x + 0.5'}`);
    }
  }
  const ours = names.slice(0, perDirection).map((n) => RECURRENT_ACTIVATIONS[n]);
  const config: Record<string, unknown> = { units, useBias: B !== undefined, name: node.name.replace(/[^\w]/g, '_') };
  if (op === 'LSTM') {
    if (ours[1] !== ours[2]) fail(`uses ${names[1]} for the cell input and ${names[2]} for the output; a Keras LSTM uses one activation for both`);
    Object.assign(config, { recurrentActivation: ours[0], activation: ours[1], unitForgetBias: false });
  } else if (op === 'GRU') {
    Object.assign(config, { recurrentActivation: ours[0], activation: ours[1], resetAfter: (at.linear_before_reset ?? 0) === 1 });
  } else config.activation = ours[0];

  if (W.dims.join() !== [dirs, (op === 'LSTM' ? 4 : op === 'GRU' ? 3 : 1) * units, features].join()) {
    fail(`has W [${W.dims}] for ${features} input features and ${units} units`);
  }
  const weights = Array.from({ length: dirs }, (_, d) =>
    onnxRecurrentToKeras(
      op,
      { W: W.values, R: R.values, B: B?.values },
      { inputSize: features, hiddenSize: units, direction: d, resetAfter: config.resetAfter === true },
    ),
  );
  return { op, name: node.name, direction, dirs, units, steps, config, weights };
}

// PyTorch and ONNX recurrent weights into the Keras layout this library uses.
//
//   PyTorch nn.LSTM, layer k:  weight_ih_lk [4H, D_k]  weight_hh_lk [4H, H]  bias_ih_lk, bias_hh_lk [4H]
//                              gates i, f, g, o (g is Keras's c: the same order)
//   → Keras LSTM:              kernel [D_k, 4H] = weight_ihᵀ,  recurrentKernel [H, 4H] = weight_hhᵀ,
//                              bias [4H] = bias_ih + bias_hh (both are added to every gate)
//   PyTorch nn.GRU, layer k:   weight_ih_lk [3H, D_k], weight_hh_lk [3H, H], gates r, z, n
//                              n = tanh(W_in·x + b_in + r ⊙ (W_hn·h + b_hn))
//   → Keras GRU, resetAfter:   kernel [D_k, 3H], recurrentKernel [H, 3H], gates z, r, h;
//                              bias [2, 3H]: row 0 the input bias, row 1 the recurrent bias
//   ONNX LSTM:                 W [dirs, 4H, D], R [dirs, 4H, H], B [dirs, 8H] (Wb then Rb), gates i, o, f, c
//   PyTorch nn.Linear:         weight [out, in], bias [out] → Dense kernel [in, out], bias [out]
//
// D_0 = inputSize, D_k = hiddenSize above. Each function returns the weights in Keras order,
// ready for model.setWeights (followed or preceded by the other layers' weights).
import { ShapeError } from '../spec/errors.js';
import { ModelFormatError } from '../spec/ioErrors.js';

/** Named arrays, as a PyTorch state_dict's tensors flattened (row-major), or readSafetensors's result. */
export type StateDict = Record<string, Float32Array | Float64Array | readonly number[]>;

export interface PytorchRnnOptions {
  /** Features of the input (PyTorch `input_size`); inferred from weight_ih_l0 when absent. */
  inputSize?: number;
  /** PyTorch `hidden_size` (our `units`); inferred from weight_hh_l0 when absent. */
  hiddenSize?: number;
  /** Stacked layers (PyTorch `num_layers`); by default every weight_ih_l{k} present. */
  numLayers?: number;
  /**
   * Prefix of the keys, as in a whole model's state_dict ('encoder.lstm.'). By default the one
   * prefix before 'weight_ih_l0' in the dict.
   */
  prefix?: string;
  /**
   * 'reverse' takes the backward direction of a bidirectional module (keys ending in
   * '_reverse'). Required when the dict holds both directions.
   */
  direction?: 'forward' | 'reverse';
}

/**
 * Converts the weights of a PyTorch `nn.LSTM` (batch_first or not: the weights are the same)
 * into Keras layout: for each layer [kernel [D, 4H], recurrentKernel [H, 4H], bias [4H]]
 * (no bias when the module has bias=False). The matching model is `numLayers` stacked
 * layers.lstm({ units: hiddenSize }) with the Keras defaults (tanh, sigmoid) and
 * returnSequences on all but (as you need) the last.
 */
export function importPytorchLstm(stateDict: StateDict, options: PytorchRnnOptions = {}): Float32Array[] {
  return importPytorchRnn(stateDict, options, 'LSTM', 4, (ih, hh, bih, bhh, D, H) => {
    const kernel = transposeGates(ih, 4, H, D, LSTM_ORDER);
    const recurrent = transposeGates(hh, 4, H, H, LSTM_ORDER);
    if (!bih || !bhh) return [kernel, recurrent];
    const bias = new Float32Array(4 * H);
    // The exact sum rounded once to f32 (PyTorch adds the two biases separately: the same up to rounding).
    for (let j = 0; j < 4 * H; j++) bias[j] = bih[j] + bhh[j];
    return [kernel, recurrent, bias];
  });
}

/**
 * Converts the weights of a PyTorch `nn.GRU` into the Keras GRU layout with resetAfter: true
 * (PyTorch's equations): for each layer [kernel [D, 3H], recurrentKernel [H, 3H], bias [2, 3H]]
 * with gates reordered r, z, n → z, r, h, both biases kept (row 0 input, row 1 recurrent).
 */
export function importPytorchGru(stateDict: StateDict, options: PytorchRnnOptions = {}): Float32Array[] {
  return importPytorchRnn(stateDict, options, 'GRU', 3, (ih, hh, bih, bhh, D, H) => {
    const kernel = transposeGates(ih, 3, H, D, GRU_ORDER);
    const recurrent = transposeGates(hh, 3, H, H, GRU_ORDER);
    if (!bih || !bhh) return [kernel, recurrent];
    const bias = new Float32Array(6 * H);
    bias.set(reorderBlocks(bih, 3, H, GRU_ORDER), 0);
    bias.set(reorderBlocks(bhh, 3, H, GRU_ORDER), 3 * H);
    return [kernel, recurrent, bias];
  });
}

/**
 * Converts the weights of an ONNX `LSTM` node (one direction of it) into Keras layout
 * [kernel [D, 4H], recurrentKernel [H, 4H], bias [4H] = Wb + Rb]. `W`, `R`, `B` are the
 * node's inputs flattened (with their leading num_directions axis). Peepholes (input P) have
 * no Keras equivalent and are not taken.
 */
export function onnxLstmToKeras(
  weights: { W: ArrayLike<number>; R: ArrayLike<number>; B?: ArrayLike<number> },
  options: { inputSize: number; hiddenSize: number; direction?: number },
): Float32Array[] {
  return onnxRecurrentToKeras('LSTM', weights, options);
}

/** Gates a cell of each ONNX recurrent op has, and Keras gate k's ONNX gate (LSTM: Keras i, f, c, o ← ONNX i (0), o (1), f (2), c (3); GRU z r h and RNN: the same). */
const ONNX_CELLS = { LSTM: { gates: 4, order: [0, 2, 3, 1] }, GRU: { gates: 3, order: [0, 1, 2] }, RNN: { gates: 1, order: [0] } } as const;

/**
 * One direction of an ONNX LSTM, GRU or RNN node's weights in Keras layout: [kernel [D, gH],
 * recurrentKernel [H, gH], bias]: the bias is Wb + Rb ([gH]; both are added to every gate, and
 * GRU's Rbh is outside the reset without linear_before_reset), or for a GRU with `resetAfter`
 * (linear_before_reset = 1) Keras's [2, 3H]: Wb, then Rb.
 */
export function onnxRecurrentToKeras(
  op: keyof typeof ONNX_CELLS,
  weights: { W: ArrayLike<number>; R: ArrayLike<number>; B?: ArrayLike<number> },
  options: { inputSize: number; hiddenSize: number; direction?: number; resetAfter?: boolean },
): Float32Array[] {
  const { inputSize: D, hiddenSize: H, direction = 0, resetAfter = false } = options;
  const { gates, order } = ONNX_CELLS[op];
  checkSize(D, 'inputSize');
  checkSize(H, 'hiddenSize');
  const G = gates * H;
  const dirs = weights.W.length / (G * D);
  if (!Number.isInteger(dirs) || dirs < 1 || dirs > 2)
    throw new ShapeError(`ONNX ${op}: W holds ${weights.W.length} values, not [num_directions, ${G}, ${D}].`);
  if (!(Number.isInteger(direction) && direction >= 0 && direction < dirs)) throw new ShapeError(`ONNX ${op}: direction ${direction} of ${dirs}.`);
  expectLength(weights.R, dirs * G * H, `ONNX ${op}: R [${dirs}, ${G}, ${H}]`);
  if (weights.B) expectLength(weights.B, dirs * 2 * G, `ONNX ${op}: B [${dirs}, ${2 * G}]`);
  const out = [
    transposeGates(slice(weights.W, direction * G * D, G * D), gates, H, D, order),
    transposeGates(slice(weights.R, direction * G * H, G * H), gates, H, H, order),
  ];
  if (weights.B) {
    const B = slice(weights.B, direction * 2 * G, 2 * G);
    if (resetAfter) {
      const bias = new Float32Array(2 * G);
      bias.set(reorderBlocks(B.subarray(0, G), gates, H, order), 0);
      bias.set(reorderBlocks(B.subarray(G), gates, H, order), G);
      out.push(bias);
    } else {
      const sum = new Float64Array(G);
      for (let j = 0; j < G; j++) sum[j] = B[j] + B[G + j];
      out.push(reorderBlocks(sum, gates, H, order));
    }
  }
  return out;
}

/** PyTorch `nn.Linear` (weight [out, in], bias [out]) → Dense [kernel [in, out], bias [out]]. */
export function pytorchLinearToDense(
  weight: ArrayLike<number>,
  bias: ArrayLike<number> | undefined,
  options: { inFeatures: number; outFeatures: number },
): Float32Array[] {
  const { inFeatures: I, outFeatures: O } = options;
  checkSize(I, 'inFeatures');
  checkSize(O, 'outFeatures');
  expectLength(weight, O * I, `nn.Linear weight [${O}, ${I}]`);
  const kernel = new Float32Array(I * O);
  for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) kernel[i * O + o] = weight[o * I + i];
  if (!bias) return [kernel];
  expectLength(bias, O, `nn.Linear bias [${O}]`);
  return [kernel, Float32Array.from(bias)];
}

// ---- Shared -------------------------------------------------------------------------------------

/** For Keras gate block b, the source's block. LSTM: PyTorch i, f, g, o = Keras i, f, c, o. */
const LSTM_ORDER = [0, 1, 2, 3];
/** Keras z, r, h ← PyTorch r (0), z (1), n (2). */
const GRU_ORDER = [1, 0, 2];

type Convert = (ih: Float32Array, hh: Float32Array, bih: Float32Array | undefined, bhh: Float32Array | undefined, D: number, H: number) => Float32Array[];

function importPytorchRnn(dict: StateDict, options: PytorchRnnOptions, module: string, gates: number, convert: Convert): Float32Array[] {
  if (typeof dict !== 'object' || dict === null) throw new ModelFormatError(`nn.${module}: give the state_dict as an object of named arrays.`);
  const keys = Object.keys(dict);
  const prefix = options.prefix ?? findPrefix(keys, module);
  const reverseKeys = keys.some((k) => k.startsWith(prefix) && k.endsWith('_reverse'));
  if (reverseKeys && !options.direction) {
    throw new ModelFormatError(`nn.${module}: the state_dict holds a bidirectional module: pass direction: 'forward' or 'reverse' to take one direction.`);
  }
  const suffix = options.direction === 'reverse' ? '_reverse' : '';
  if (keys.some((k) => k.startsWith(`${prefix}weight_hr_l`))) throw new ModelFormatError(`nn.${module}: proj_size > 0 (weight_hr_l*) has no Keras equivalent.`);
  const key = (name: string, k: number): string => `${prefix}${name}_l${k}${suffix}`;
  const get = (name: string, k: number): Float32Array | undefined => {
    const v = dict[key(name, k)];
    return v === undefined ? undefined : Float32Array.from(v as ArrayLike<number>);
  };

  let layers = options.numLayers;
  if (layers === undefined) {
    layers = 0;
    while (dict[key('weight_ih', layers)] !== undefined) layers++;
  }
  checkSize(layers, 'numLayers');
  const hh0 = get('weight_hh', 0);
  if (!hh0)
    throw new ModelFormatError(`nn.${module}: '${key('weight_hh', 0)}' is missing (keys: ${keys.slice(0, 8).join(', ')}${keys.length > 8 ? ', …' : ''}).`);
  const H = options.hiddenSize ?? Math.sqrt(hh0.length / gates);
  if (!Number.isInteger(H) || H < 1) throw new ModelFormatError(`nn.${module}: '${key('weight_hh', 0)}' holds ${hh0.length} values, not [${gates}·H, H].`);
  checkSize(H, 'hiddenSize');

  const out: Float32Array[] = [];
  let withBias: boolean | undefined;
  for (let k = 0; k < layers; k++) {
    const ih = get('weight_ih', k);
    const hh = get('weight_hh', k);
    if (!ih || !hh) throw new ModelFormatError(`nn.${module}: '${key(ih ? 'weight_hh' : 'weight_ih', k)}' is missing for layer ${k} of ${layers}.`);
    const D = k === 0 ? (options.inputSize ?? ih.length / (gates * H)) : H;
    if (!Number.isInteger(D) || D < 1)
      throw new ModelFormatError(`nn.${module}: '${key('weight_ih', k)}' holds ${ih.length} values, not [${gates}·${H}, input_size].`);
    expectLength(ih, gates * H * D, `nn.${module} '${key('weight_ih', k)}' [${gates * H}, ${D}]`, ModelFormatError);
    expectLength(hh, gates * H * H, `nn.${module} '${key('weight_hh', k)}' [${gates * H}, ${H}]`, ModelFormatError);
    const bih = get('bias_ih', k);
    const bhh = get('bias_hh', k);
    if (!!bih !== !!bhh) throw new ModelFormatError(`nn.${module}: layer ${k} has only one of bias_ih and bias_hh.`);
    if (withBias !== undefined && withBias !== !!bih) throw new ModelFormatError(`nn.${module}: some layers have biases and others not.`);
    withBias = !!bih;
    if (bih) expectLength(bih, gates * H, `nn.${module} '${key('bias_ih', k)}' [${gates * H}]`, ModelFormatError);
    if (bhh) expectLength(bhh, gates * H, `nn.${module} '${key('bias_hh', k)}' [${gates * H}]`, ModelFormatError);
    out.push(...convert(ih, hh, bih, bhh, D, H));
  }
  return out;
}

function findPrefix(keys: string[], module: string): string {
  const candidates = keys.filter((k) => k.endsWith('weight_ih_l0')).map((k) => k.slice(0, -'weight_ih_l0'.length));
  if (candidates.length === 1) return candidates[0];
  if (candidates.length === 0)
    throw new ModelFormatError(`nn.${module}: no key ends in 'weight_ih_l0' (keys: ${keys.slice(0, 8).join(', ')}${keys.length > 8 ? ', …' : ''}).`);
  throw new ModelFormatError(`nn.${module}: several modules in the state_dict (${candidates.map((c) => `'${c}'`).join(', ')}): pass prefix to choose one.`);
}

/**
 * src [gates·H, cols] (PyTorch / ONNX, row-major) → [cols, gates·H] with Keras block b taken
 * from the source's block order[b].
 */
function transposeGates(src: ArrayLike<number>, gates: number, H: number, cols: number, order: readonly number[]): Float32Array {
  const out = new Float32Array(cols * gates * H);
  const N = gates * H;
  for (let b = 0; b < gates; b++) {
    const from = order[b] * H;
    for (let j = 0; j < H; j++) {
      const row = (from + j) * cols;
      for (let c = 0; c < cols; c++) out[c * N + b * H + j] = src[row + c];
    }
  }
  return out;
}

/** A [gates·H] vector with Keras block b taken from the source's block order[b]. */
function reorderBlocks(src: ArrayLike<number>, gates: number, H: number, order: readonly number[]): Float32Array {
  const out = new Float32Array(gates * H);
  for (let b = 0; b < gates; b++) for (let j = 0; j < H; j++) out[b * H + j] = src[order[b] * H + j];
  return out;
}

function slice(values: ArrayLike<number>, start: number, length: number): Float64Array {
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) out[i] = values[start + i];
  return out;
}

function checkSize(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 1) throw new ShapeError(`${what} must be a positive whole number, got ${n}.`);
}

function expectLength(values: ArrayLike<number>, n: number, what: string, Err: new (message: string) => Error = ShapeError): void {
  if (values.length !== n) throw new Err(`${what} needs ${n} values, got ${values.length}.`);
}

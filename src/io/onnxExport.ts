// exportOnnx: a Sequential as an ONNX model (opset 17) that ONNX Runtime runs with our outputs:
// LSTM, GRU and SimpleRNN as ONNX's LSTM / GRU / RNN ops (Bidirectional as direction
// "bidirectional", goBackwards as "reverse"), Dense as MatMul + Add + its activation (also
// under TimeDistributed), Embedding as Gather, Dropout as nothing (inference), Activation as its
// op, Flatten as Flatten, the global poolings as ReduceMean / ReduceMax over the steps and
// RepeatVector as Unsqueeze + Expand. The graph takes
// x [batch, steps, features] (token ids as float32 for an Embedding, as predict takes them)
// batch-major like predict, and gives predict's output. Weights move from the Keras layout
// (kernel [in, gates·units], gates i f c o / z r h) to ONNX's (W [dirs, gates·units, in],
// gates i o f c / z r h).
import type { Layer } from '../layers/layer.js';
import { Activation } from '../layers/activation.js';
import { Dense } from '../layers/dense.js';
import { GlobalAveragePooling1d, GlobalMaxPooling1d } from '../layers/globalPooling1d.js';
import { Flatten, RepeatVector } from '../layers/reshape.js';
import { Dropout } from '../layers/dropout.js';
import { Embedding } from '../layers/embedding.js';
import { TimeDistributed } from '../layers/timeDistributed.js';
import { Bidirectional } from '../lstm/bidirectional.js';
import { Gru } from '../lstm/gru.js';
import { Lstm } from '../lstm/lstm.js';
import { SimpleRnn } from '../lstm/simpleRnn.js';
import type { Sequential } from '../model/sequential.js';
import { RnnError } from '../spec/errors.js';
import { ModelFormatError } from '../spec/ioErrors.js';
import { type Dim, OnnxGraph } from './onnxGraph.js';

export interface ExportOnnxOptions {
  /** The graph input's name; 'x' by default. */
  inputName?: string;
  /** The graph output's name; 'y' by default. */
  outputName?: string;
}

const OPSET = 17;
const PRODUCER_VERSION = '0.1.0';

/** ONNX's op of each activation (defaults of Elu, Selu and HardSigmoid are Keras's constants; HardSigmoid's are set where an op takes them). */
const ACTIVATION_OPS: Record<string, string> = {
  sigmoid: 'Sigmoid',
  tanh: 'Tanh',
  relu: 'Relu',
  hardSigmoid: 'HardSigmoid',
  elu: 'Elu',
  selu: 'Selu',
  softplus: 'Softplus',
  softsign: 'Softsign',
  gelu: 'Erf',
  swish: 'Sigmoid',
};
/** What ONNX's LSTM / GRU / RNN `activations` may not name (gelu and swish are composed of ops). */
const NOT_RECURRENT = ['selu', 'gelu', 'swish'];

/** How a cell's Keras gates map to ONNX's order: ONNX gate g is Keras gate order[g]. */
const CELLS = {
  LSTM: { gates: 4, order: [0, 3, 1, 2] },
  GRU: { gates: 3, order: [0, 1, 2] },
  RNN: { gates: 1, order: [0] },
} as const;
type CellOp = keyof typeof CELLS;
type Cell = Lstm | Gru | SimpleRnn;

/**
 * The model as ONNX bytes (a ModelProto), for ONNX Runtime (onnxruntime-node / -web) or any
 * ONNX consumer. The model must be built; every layer is checked before a weight is read, and a
 * layer without an ONNX form gives a ModelFormatError naming it.
 *
 * @example
 * ```ts
 * const bytes = await exportOnnx(model);
 * await writeFile('model.onnx', bytes);            // Node
 * const session = await ort.InferenceSession.create(bytes);
 * const { y } = await session.run({ x: new ort.Tensor('float32', data, [1, 49, 1]) });
 * ```
 */
export async function exportOnnx(model: Sequential, options: ExportOnnxOptions = {}): Promise<Uint8Array> {
  const { inputName = 'x', outputName = 'y' } = options;
  for (const [what, name] of [
    ['inputName', inputName],
    ['outputName', outputName],
  ] as const) {
    if (typeof name !== 'string' || !/^[A-Za-z_][\w.]*$/.test(name)) throw new RnnError(`exportOnnx: ${what} must be an identifier, got ${String(name)}.`);
  }
  const layers = model.layers;
  const inputShape = layers[0]?.inputShape;
  if (!inputShape) throw new RnnError('exportOnnx: the model has no weights yet: give the first layer an inputShape or call predict once.');
  for (const layer of layers) checkExportable(layer);

  const graph = new OnnxGraph();
  const dims = (shape: readonly number[]): Dim[] => ['batch', ...shape.map((d, i) => (d < 0 ? (i === 0 ? 'steps' : `d${i}`) : d))];
  let value = graph.input(inputName, dims(inputShape));
  for (const layer of layers) value = await exportLayer(graph, layer, value);
  graph.output(value, outputName, dims(model.outputShape()));
  return graph.encode('webgpu-rnn', OPSET, PRODUCER_VERSION);
}

function unsupported(layer: Layer, why: string): never {
  throw new ModelFormatError(
    `exportOnnx: ${layer.name} (${layer.constructor.name}) ${why}. Exported are LSTM, GRU, SimpleRNN, Bidirectional, Dense, TimeDistributed of Dense, Activation or Dropout, Embedding, Dropout, Activation, Flatten, RepeatVector and the global poolings.`,
  );
}

function checkExportable(layer: Layer): void {
  if (layer instanceof TimeDistributed) checkExportable(layer.layer);
  else if (layer instanceof Bidirectional) {
    if (layer.config.mergeMode === null) unsupported(layer, 'has mergeMode null (two outputs), which a Sequential ONNX graph cannot give');
    if (layer.forwardLayer.config.goBackwards) unsupported(layer, 'wraps a goBackwards layer');
    checkRecurrent(layer.forwardLayer as Cell);
  } else if (layer instanceof Lstm || layer instanceof Gru || layer instanceof SimpleRnn) checkRecurrent(layer);
  else if (layer instanceof Dense) checkActivationOp(layer, layer.config.activation, 'activation');
  else if (layer instanceof Embedding) {
    if (layer.config.maskZero) unsupported(layer, "has maskZero: ONNX's recurrent ops have no per-step mask");
  } else if (
    !(
      layer instanceof Dropout ||
      layer instanceof Activation ||
      layer instanceof Flatten ||
      layer instanceof RepeatVector ||
      layer instanceof GlobalAveragePooling1d ||
      layer instanceof GlobalMaxPooling1d
    )
  ) {
    unsupported(layer, 'has no ONNX export yet');
  }
}

function checkRecurrent(layer: Cell): void {
  checkActivationOp(layer, layer.config.activation, 'activation');
  if ('recurrentActivation' in layer.config) checkActivationOp(layer, layer.config.recurrentActivation as string, 'recurrentActivation');
}

function checkActivationOp(layer: Layer, activation: string, option: string): void {
  if (activation === 'linear' || activation === 'softmax') {
    if (layer instanceof Dense) return;
  }
  const recurrent = !(layer instanceof Dense || layer instanceof Activation);
  if (!(activation in ACTIVATION_OPS) || (recurrent && NOT_RECURRENT.includes(activation)))
    unsupported(layer, `has ${option} '${activation}', which ONNX's recurrent ops do not take`);
}

async function exportLayer(graph: OnnxGraph, layer: Layer, x: string): Promise<string> {
  if (layer instanceof Dropout) return x;
  // The layer applied to [batch, steps, F] as ONNX's MatMul and elementwise ops take it.
  if (layer instanceof TimeDistributed) return exportLayer(graph, layer.layer, x);
  if (layer instanceof Embedding) {
    const [table] = await layer.getWeightData();
    const embeddings = graph.floats(`${layer.name}/embeddings`, [layer.config.inputDim, layer.config.outputDim], table);
    const ids = graph.op('Cast', [x], { to: 7 /* INT64 */ });
    return graph.op('Gather', [embeddings, ids], { axis: 0 });
  }
  if (layer instanceof Activation) return applyActivation(graph, layer.config.activation, x);
  if (layer instanceof Flatten) return graph.op('Flatten', [x], { axis: 1 });
  if (layer instanceof GlobalAveragePooling1d) return graph.op('ReduceMean', [x], { axes: [1], keepdims: 0 });
  if (layer instanceof GlobalMaxPooling1d) return graph.op('ReduceMax', [x], { axes: [1], keepdims: 0 });
  if (layer instanceof RepeatVector) {
    // [batch, F] → [batch, 1, F], broadcast to [batch, n, F].
    const column = graph.op('Unsqueeze', [x, graph.ints(`${layer.name}/axis`, [1])]);
    return graph.op('Expand', [column, graph.ints(`${layer.name}/shape`, [1, layer.config.n, 1])]);
  }
  if (layer instanceof Dense) return exportDense(graph, layer, x);
  if (layer instanceof Bidirectional) {
    const [forward, backward] = [layer.forwardLayer, layer.backwardLayer] as Cell[];
    const weights = [await forward.getWeightData(), await backward.getWeightData()];
    return exportRecurrent(graph, forward, weights, x, 'bidirectional', layer.config.mergeMode ?? 'concat', layer.name);
  }
  const recurrent = layer as Cell;
  const direction = recurrent.config.goBackwards ? 'reverse' : 'forward';
  return exportRecurrent(graph, recurrent, [await recurrent.getWeightData()], x, direction, 'concat', layer.name);
}

async function exportDense(graph: OnnxGraph, layer: Dense, x: string): Promise<string> {
  const weights = await layer.getWeightData();
  const inputs = weights[0].length / layer.config.units;
  const kernel = graph.floats(`${layer.name}/kernel`, [inputs, layer.config.units], weights[0]);
  let y = graph.op('MatMul', [x, kernel]);
  if (layer.config.useBias) y = graph.op('Add', [y, graph.floats(`${layer.name}/bias`, [layer.config.units], weights[1])]);
  return applyActivation(graph, layer.config.activation, y);
}

/** `activation` of y as ONNX ops: softmax over the last axis, HardSigmoid with Keras's 0.2 and 0.5. */
function applyActivation(graph: OnnxGraph, activation: string, y: string): string {
  if (activation === 'softmax') return graph.op('Softmax', [y], { axis: -1 });
  if (activation === 'hardSigmoid') return graph.op('HardSigmoid', [y], { alpha: 0.2, beta: 0.5 }, ['alpha', 'beta']);
  // Opset 17 has no Gelu or Swish op: gelu = y·(1 + erf(y/√2))/2, swish = y·σ(y).
  if (activation === 'swish') return graph.op('Mul', [y, graph.op('Sigmoid', [y])]);
  if (activation === 'gelu') {
    const erf = graph.op('Erf', [graph.op('Mul', [y, graph.floats('inv_sqrt2', [], [Math.SQRT1_2])])]);
    const half = graph.op('Mul', [graph.op('Add', [erf, graph.floats('one', [], [1])]), graph.floats('half', [], [0.5])]);
    return graph.op('Mul', [y, half]);
  }
  return activation === 'linear' ? y : graph.op(ACTIVATION_OPS[activation], [y]);
}

/**
 * One ONNX recurrent node over x [batch, steps, in] (transposed to ONNX's [steps, batch, in]),
 * then the output back batch-major: Y_h [dirs, batch, H] for the last step, Y [steps, dirs,
 * batch, H] for the sequence (reversed in time for goBackwards: Keras gives processing order).
 */
function exportRecurrent(
  graph: OnnxGraph,
  cell: Cell,
  weights: Float32Array[][],
  x: string,
  direction: 'forward' | 'reverse' | 'bidirectional',
  mergeMode: 'concat' | 'sum' | 'mul' | 'ave',
  name: string,
): string {
  const op: CellOp = cell instanceof Lstm ? 'LSTM' : cell instanceof Gru ? 'GRU' : 'RNN';
  const { gates, order } = CELLS[op];
  const units = cell.config.units;
  const inputs = weights[0][0].length / (gates * units);
  const dirs = weights.length;
  const resetAfter = cell instanceof Gru && cell.config.resetAfter;
  const W = graph.floats(`${name}/W`, [dirs, gates * units, inputs], concat(weights.map((w) => gateMajor(w[0], inputs, units, order))));
  const R = graph.floats(`${name}/R`, [dirs, gates * units, units], concat(weights.map((w) => gateMajor(w[1], units, units, order))));
  const B = cell.config.useBias
    ? graph.floats(`${name}/B`, [dirs, 2 * gates * units], concat(weights.map((w) => onnxBias(w[2], units, order, resetAfter))))
    : '';
  const activation = ACTIVATION_OPS[cell.config.activation];
  const recurrent = 'recurrentActivation' in cell.config ? ACTIVATION_OPS[cell.config.recurrentActivation as string] : undefined;
  const perDirection = op === 'LSTM' ? [recurrent!, activation, activation] : op === 'GRU' ? [recurrent!, activation] : [activation];
  const attributes: Record<string, number | string | string[]> = { hidden_size: units, direction, activations: weights.flatMap(() => perDirection) };
  if (op === 'GRU') attributes.linear_before_reset = resetAfter ? 1 : 0;
  const timeMajor = graph.op('Transpose', [x], { perm: [1, 0, 2] });
  const [sequence, last] = graph.node(op, [timeMajor, W, R, B], attributes, 2);

  // Each direction's output, batch-major: [batch, H] or [batch, steps, H].
  const perDir = Array.from({ length: dirs }, (_, d) => {
    const index = graph.ints(`${name}/direction${d}`, [d], []);
    if (!cell.config.returnSequences) return graph.op('Gather', [last, index], { axis: 0 });
    let steps = graph.op('Gather', [sequence, index], { axis: 1 });
    if (direction === 'reverse') {
      const [starts, ends, axes, stride] = [[-1], [-(2 ** 62)], [0], [-1]].map((v, i) => graph.ints(`${name}/reverse${i}`, v));
      steps = graph.op('Slice', [steps, starts, ends, axes, stride]);
    }
    return graph.op('Transpose', [steps], { perm: [1, 0, 2] });
  });
  if (dirs === 1) return perDir[0];
  const [f, b] = perDir;
  if (mergeMode === 'concat') return graph.op('Concat', [f, b], { axis: -1 });
  if (mergeMode === 'sum') return graph.op('Add', [f, b]);
  if (mergeMode === 'mul') return graph.op('Mul', [f, b]);
  return graph.op('Mul', [graph.op('Add', [f, b]), graph.floats(`${name}/half`, [], [0.5])]);
}

/** A Keras [rows, gates·units] matrix as ONNX's [gates·units, rows], gates in ONNX order. */
function gateMajor(matrix: Float32Array, rows: number, units: number, order: readonly number[]): Float32Array {
  const width = order.length * units;
  const out = new Float32Array(width * rows);
  for (let g = 0; g < order.length; g++) {
    for (let j = 0; j < units; j++) {
      const column = order[g] * units + j;
      for (let r = 0; r < rows; r++) out[(g * units + j) * rows + r] = matrix[r * width + column];
    }
  }
  return out;
}

/** ONNX's B [Wb, Rb] (2·gates·units) from a Keras bias: [gates·units], or GRU's [2, 3·units] with resetAfter. */
function onnxBias(bias: Float32Array, units: number, order: readonly number[], resetAfter: boolean): Float32Array {
  const width = order.length * units;
  const out = new Float32Array(2 * width);
  for (let half = 0; half < (resetAfter ? 2 : 1); half++) {
    for (let g = 0; g < order.length; g++)
      out.set(bias.subarray(half * width + order[g] * units, half * width + (order[g] + 1) * units), half * width + g * units);
  }
  return out;
}

function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

// importOnnx: an ONNX file as a Sequential — the graphs exportOnnx writes, and the same layers
// in ONNX's standard forms from other tools. The graph is read as a chain from its one input:
// each node either becomes a layer (LSTM / GRU / RNN → the cell, or Bidirectional for a
// bidirectional node; MatMul [+ Add] [+ activation] or Gemm → Dense; Gather of a table by the
// ids → Embedding; an activation → Activation; Flatten; ReduceMean / ReduceMax over the steps →
// the global poolings; Unsqueeze + Expand → RepeatVector) or moves data the way those layers'
// outputs need (Transpose, Squeeze, Gather of a direction, Slice reversing the steps of a
// goBackwards output, Concat / Add / Mul merging two directions, Identity, Dropout, Cast).
// Anything else is a ModelFormatError naming the node. Weights move from ONNX's layout to
// Keras's (the inverse of exportOnnx).
import { Activation } from '../layers/activation.js';
import { Dense } from '../layers/dense.js';
import { Embedding } from '../layers/embedding.js';
import { GlobalAveragePooling1d, GlobalMaxPooling1d } from '../layers/globalPooling1d.js';
import type { Layer } from '../layers/layer.js';
import { Flatten, RepeatVector } from '../layers/reshape.js';
import { Bidirectional } from '../lstm/bidirectional.js';
import { Gru } from '../lstm/gru.js';
import { Lstm } from '../lstm/lstm.js';
import { SimpleRnn } from '../lstm/simpleRnn.js';
import { sequential, type Sequential } from '../model/sequential.js';
import type { Gpu } from '../runtime/device.js';
import { ModelFormatError } from '../spec/ioErrors.js';
import { recurrentFromOnnx, type RecurrentSpec } from './onnxRecurrent.js';
import { type ModelFile, readModelFile } from './ioHandlers.js';
import { type OnnxConstant, type OnnxNode, readOnnx } from './onnxRead.js';

/** Our activation of each ONNX activation op (HardSigmoid and Elu with Keras's constants). */
export const ONNX_ACTIVATIONS: Record<string, string> = {
  Sigmoid: 'sigmoid',
  Tanh: 'tanh',
  Relu: 'relu',
  HardSigmoid: 'hardSigmoid',
  Elu: 'elu',
  Selu: 'selu',
  Softplus: 'softplus',
  Softsign: 'softsign',
  Softmax: 'softmax',
};

/** A value of our model's data: batch-major [B, T, F] or [B, F], or time-major [T, B, F] (a transposed view). */
interface FlowValue {
  kind: 'flow';
  layout: 'BTF' | 'TBF' | 'BF';
  features: number;
  steps: number | null;
  /** The graph input of token ids [B, T] (as float32, or cast to int64). */
  ids?: boolean;
  consumed?: boolean;
}
interface ConstValue {
  kind: 'const';
  c: OnnxConstant;
}
/** A recurrent node's Y [T, dirs, B, H] or Y_h [dirs, B, H]. */
interface RecurrentOutput {
  kind: 'Y' | 'Y_h';
  rec: RecurrentSpec;
}
/** One direction of a recurrent node: its sequence ([T, B, H] or transposed [B, T, H]) or last state [B, H]. */
interface DirectionValue {
  kind: 'direction';
  rec: RecurrentSpec;
  d: number;
  sequence: boolean;
  layout: 'TBF' | 'BTF' | 'BF';
  reversed: boolean;
}
/** Both directions merged; 'sum' becomes 'ave' when halved. */
interface MergedValue {
  kind: 'merged';
  rec: RecurrentSpec;
  mode: 'concat' | 'sum' | 'mul' | 'ave';
  sequence: boolean;
  layout: 'TBF' | 'BTF' | 'BF';
}
interface DenseValue {
  kind: 'dense';
  on: FlowValue;
  kernel: Float32Array;
  units: number;
  bias?: Float32Array;
  activation: string;
}
interface UnsqueezedValue {
  kind: 'unsqueezed';
  on: FlowValue;
}
type Value = FlowValue | ConstValue | RecurrentOutput | DirectionValue | MergedValue | DenseValue | UnsqueezedValue;

/** importOnnx (io/onnxFile.ts loads this module on first use). */
export async function readOnnxModel(gpu: Gpu, source: ModelFile): Promise<Sequential> {
  const { bytes, where } = await readModelFile(source, 'importOnnx', 'the ONNX model');
  const model = readOnnx(new Uint8Array(bytes), where);
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new ModelFormatError(`${where} has ${model.inputs.length} inputs and ${model.outputs.length} outputs; a Sequential takes one of each.`);
  }
  const chain = new Chain(where);
  const [input] = model.inputs;
  const dims = input.dims.slice(1);
  if (dims.length < 1 || dims.length > 2 || (dims.length === 2 && dims[1] === null)) {
    throw new ModelFormatError(
      `${where}: the input '${input.name}' is [${input.dims.map((d) => d ?? '?').join(', ')}]; [batch, steps, features] or [batch, features] (token ids: [batch, steps]) is read.`,
    );
  }
  chain.inputShape = dims;
  const values = new Map<string, Value>();
  values.set(input.name, {
    kind: 'flow',
    layout: dims.length === 2 ? 'BTF' : 'BF',
    features: dims[dims.length - 1] ?? 0,
    steps: dims.length === 2 ? dims[0] : null,
  });
  const get = (name: string, node: OnnxNode): Value => {
    const value = values.get(name) ?? (model.constants.has(name) ? { kind: 'const' as const, c: model.constants.get(name)! } : undefined);
    if (!value) throw new ModelFormatError(`${where}: ${node.name} (${node.op}) reads '${name}', which no earlier node writes.`);
    return value;
  };
  for (const node of model.nodes) {
    const inputs = node.inputs.map((name) => (name ? get(name, node) : undefined));
    const outputs = chain.step(node, inputs, model.opset);
    outputs.forEach((v, i) => v && values.set(node.outputs[i], v));
  }
  const last = chain.realize(get(model.outputs[0], { op: 'output', name: 'the graph output', inputs: [], outputs: [], attributes: {} }), 'the graph output');
  if (last.layout === 'TBF') throw new ModelFormatError(`${where}: the output is time-major [steps, batch, features]; a Sequential's output is batch-major.`);
  return chain.build(gpu);
}

/** The layers read so far, and how each node extends them. */
class Chain {
  readonly layers: { layer: Layer; weights: Float32Array[] }[] = [];
  inputShape: (number | null)[] = [];

  constructor(private readonly where: string) {}

  fail(node: OnnxNode, why: string): never {
    throw new ModelFormatError(`${this.where}: ${node.name} (${node.op}) ${why}.`);
  }

  /** The layer's config with the model's input shape when it is the first. */
  private first(config: Record<string, unknown>): Record<string, unknown> {
    return this.layers.length === 0 ? { ...config, inputShape: this.inputShape } : config;
  }

  private add(layer: Layer, weights: Float32Array[] = []): void {
    this.layers.push({ layer, weights });
  }

  /** The value as data of the model: a pending Dense, recurrent layer or merge becomes its layer. */
  realize(value: Value | undefined, what: string): FlowValue {
    if (!value) throw new ModelFormatError(`${this.where}: ${what} reads nothing.`);
    switch (value.kind) {
      case 'flow':
        if (value.consumed) throw new ModelFormatError(`${this.where}: ${what} reads a value another node reads too; a Sequential is a chain.`);
        value.consumed = true;
        return value;
      case 'dense': {
        const { on, units, bias, activation } = value;
        const layer = new Dense(this.first({ units, activation, useBias: bias !== undefined }) as never);
        this.add(layer, bias ? [value.kernel, bias] : [value.kernel]);
        return { kind: 'flow', layout: on.layout, features: units, steps: on.steps };
      }
      case 'direction': {
        const { rec } = value;
        if (rec.dirs !== 1)
          throw new ModelFormatError(`${this.where}: ${what} takes one direction of the bidirectional ${rec.op} '${rec.name}'; merge both (Concat, Add, Mul).`);
        if (value.sequence && value.reversed !== (rec.direction === 'reverse')) {
          throw new ModelFormatError(
            `${this.where}: the reverse ${rec.op} '${rec.name}' gives its sequence in input order; Keras's goBackwards gives it reversed (Slice it, as exportOnnx does).`,
          );
        }
        return this.addRecurrent(rec, value.sequence, value.layout);
      }
      case 'merged':
        return this.addRecurrent(value.rec, value.sequence, value.layout, value.mode);
      default:
        throw new ModelFormatError(
          `${this.where}: ${what} reads ${value.kind === 'const' ? 'a constant' : `a recurrent node's ${value.kind}`}, not data of the model.`,
        );
    }
  }

  private addRecurrent(rec: RecurrentSpec, sequence: boolean, layout: FlowValue['layout'], mergeMode?: MergedValue['mode']): FlowValue {
    if (rec.taken) throw new ModelFormatError(`${this.where}: the ${rec.op} '${rec.name}' is read twice; a Sequential is a chain.`);
    rec.taken = true;
    const Cell = rec.op === 'LSTM' ? Lstm : rec.op === 'GRU' ? Gru : SimpleRnn;
    const config = { ...rec.config, returnSequences: sequence };
    if (mergeMode) {
      const layer = new Bidirectional(this.first({ layer: new Cell(config as never), mergeMode }) as never);
      this.add(layer, rec.weights.flat());
    } else this.add(new Cell(this.first({ ...config, goBackwards: rec.direction === 'reverse' }) as never), rec.weights[0]);
    const features = mergeMode === 'concat' ? 2 * rec.units : rec.units;
    return { kind: 'flow', layout, features, steps: sequence ? rec.steps : null };
  }

  build(gpu: Gpu): Sequential {
    if (this.layers.length === 0) throw new ModelFormatError(`${this.where}: the graph holds no layer.`);
    const model = sequential(
      gpu,
      this.layers.map((l) => l.layer),
    );
    model.setWeights(this.layers.flatMap((l) => l.weights));
    return model;
  }

  /** The values `node` writes (undefined for an output nothing reads). */
  step(node: OnnxNode, inputs: (Value | undefined)[], opset: number): (Value | undefined)[] {
    const [a, b] = inputs;
    const constant = (v: Value | undefined, what: string): OnnxConstant => (v?.kind === 'const' ? v.c : this.fail(node, `needs a constant ${what}`));
    const ints = (v: Value | undefined, what: string): number[] => Array.from(constant(v, what).values);
    const axesOf = () => (opset >= 13 && inputs[1] ? ints(inputs[1], 'axes') : ((node.attributes.axes as number[] | undefined) ?? []));
    switch (node.op) {
      case 'Identity':
      case 'Dropout':
        return [a];
      case 'Cast':
        if (a?.kind === 'flow' && this.layers.length === 0) return [{ ...a, ids: true }];
        return this.fail(node, 'casts something other than the graph input (token ids)');
      case 'Transpose': {
        const perm = node.attributes.perm as number[] | undefined;
        if (perm?.join() !== '1,0,2') return this.fail(node, `permutes [${perm ?? 'reversed'}]; only [1, 0, 2] (steps and batch) is read`);
        if (a?.kind === 'flow' && a.layout !== 'BF') return [{ ...this.realize(a, node.name), layout: a.layout === 'BTF' ? 'TBF' : 'BTF', consumed: false }];
        if (a?.kind === 'direction' && a.sequence) return [{ ...a, layout: a.layout === 'BTF' ? 'TBF' : 'BTF' }];
        if (a?.kind === 'merged' && a.sequence) return [{ ...a, layout: a.layout === 'BTF' ? 'TBF' : 'BTF' }];
        return this.fail(node, 'transposes something other than a sequence');
      }
      case 'LSTM':
      case 'GRU':
      case 'RNN': {
        const x = this.realize(a, node.name);
        if (x.layout !== 'TBF') this.fail(node, 'reads a batch-major input; with layout 0 (the default) ONNX takes [steps, batch, features]');
        if ((node.attributes.layout ?? 0) !== 0) this.fail(node, 'has layout 1 (batch-major); layout 0, [steps, batch, features], is read');
        const rec = recurrentFromOnnx(node, inputs, x.features, x.steps, (why) => this.fail(node, why));
        return [
          { kind: 'Y', rec },
          { kind: 'Y_h', rec },
        ];
      }
      case 'Gather':
        return [this.gather(node, inputs)];
      case 'Squeeze': {
        const axes = axesOf();
        if (a?.kind === 'Y' && a.rec.dirs === 1 && axes.join() === '1')
          return [{ kind: 'direction', rec: a.rec, d: 0, sequence: true, layout: 'TBF', reversed: false }];
        if (a?.kind === 'Y_h' && a.rec.dirs === 1 && axes.join() === '0')
          return [{ kind: 'direction', rec: a.rec, d: 0, sequence: false, layout: 'BF', reversed: false }];
        return this.fail(node, `squeezes axes [${axes}] of something other than a one-direction recurrent output`);
      }
      case 'Slice': {
        const [starts, ends, axes, steps] = inputs.slice(1, 5).map((v, i) => ints(v, ['starts', 'ends', 'axes', 'steps'][i]));
        const reverses = starts?.[0] === -1 && (ends?.[0] ?? 0) <= -(2 ** 31) && axes?.[0] === 0 && steps?.[0] === -1;
        if (a?.kind === 'direction' && a.sequence && a.layout === 'TBF' && reverses) return [{ ...a, reversed: !a.reversed }];
        return this.fail(node, 'slices something other than the steps of a recurrent sequence, reversed');
      }
      case 'Concat':
      case 'Add':
      case 'Mul':
        return [this.combine(node, a, b)];
      case 'MatMul': {
        const on = this.realize(a, node.name);
        if (on.layout === 'TBF') this.fail(node, 'multiplies a time-major sequence');
        const w = constant(b, 'weight');
        if (w.dims.length !== 2 || w.dims[0] !== on.features) this.fail(node, `multiplies ${on.features} features by a [${w.dims}] weight`);
        return [{ kind: 'dense', on, kernel: Float32Array.from(w.values), units: w.dims[1], activation: 'linear' }];
      }
      case 'Gemm':
        return [this.gemm(node, inputs)];
      case 'Flatten': {
        const on = this.realize(a, node.name);
        if (on.layout !== 'BTF' || (node.attributes.axis ?? 1) !== 1 || on.steps === null)
          this.fail(node, 'flattens something other than a [batch, steps, features] value of known steps');
        this.add(new Flatten(this.first({}) as never));
        return [{ kind: 'flow', layout: 'BF', features: on.steps! * on.features, steps: null }];
      }
      case 'ReduceMean':
      case 'ReduceMax': {
        const on = this.realize(a, node.name);
        if (on.layout !== 'BTF' || axesOf().join() !== '1' || node.attributes.keepdims !== 0)
          this.fail(node, 'reduces other than the steps of a [batch, steps, features] value (axes [1], keepdims 0)');
        this.add(node.op === 'ReduceMean' ? new GlobalAveragePooling1d(this.first({}) as never) : new GlobalMaxPooling1d(this.first({}) as never));
        return [{ kind: 'flow', layout: 'BF', features: on.features, steps: null }];
      }
      case 'Unsqueeze': {
        const on = this.realize(a, node.name);
        if (on.layout !== 'BF' || axesOf().join() !== '1') this.fail(node, 'adds an axis other than the steps of a [batch, features] value');
        return [{ kind: 'unsqueezed', on }];
      }
      case 'Expand': {
        const shape = ints(b, 'shape');
        if (a?.kind !== 'unsqueezed' || shape.length !== 3 || shape[0] !== 1 || shape[2] !== 1 || !(shape[1] >= 1))
          this.fail(node, 'expands other than [batch, 1, features] to [batch, n, features]');
        this.add(new RepeatVector(this.first({ n: shape[1] }) as never));
        return [{ kind: 'flow', layout: 'BTF', features: a.on.features, steps: shape[1] }];
      }
      default: {
        const activation = ONNX_ACTIVATIONS[node.op];
        if (!activation) return this.fail(node, 'is an op this importer does not read');
        return [this.activate(node, a, activation)];
      }
    }
  }

  /** Embedding (a table gathered by the ids), or one direction of a recurrent output. */
  private gather(node: OnnxNode, [data, indices]: (Value | undefined)[]): Value {
    const axis = (node.attributes.axis as number | undefined) ?? 0;
    if (data?.kind === 'const' && indices?.kind === 'flow' && this.layers.length === 0 && axis === 0) {
      const [V, E] = data.c.dims;
      if (data.c.dims.length !== 2) this.fail(node, `gathers rows of a [${data.c.dims}] table`);
      indices.consumed = true;
      this.add(new Embedding({ inputDim: V, outputDim: E, inputShape: [this.inputShape[0]] }), [Float32Array.from(data.c.values)]);
      return { kind: 'flow', layout: 'BTF', features: E, steps: this.inputShape[0] };
    }
    if ((data?.kind === 'Y' || data?.kind === 'Y_h') && indices?.kind === 'const' && indices.c.values.length === 1) {
      const d = indices.c.values[0];
      const sequence = data.kind === 'Y';
      if (axis !== (sequence ? 1 : 0) || indices.c.dims.length !== 0)
        this.fail(node, `gathers a direction along axis ${axis} with indices [${indices.c.dims}]`);
      return { kind: 'direction', rec: data.rec, d, sequence, layout: sequence ? 'TBF' : 'BF', reversed: false };
    }
    return this.fail(node, 'gathers other than an embedding table by the token ids, or one direction of a recurrent output');
  }

  /** Two directions merged (Concat, Add, Mul; Mul of a sum by 0.5: the mean), or a Dense's bias. */
  private combine(node: OnnxNode, a: Value | undefined, b: Value | undefined): Value {
    if (a?.kind === 'direction' && b?.kind === 'direction' && a.rec === b.rec && a.d === 0 && b.d === 1 && a.sequence === b.sequence && a.layout === b.layout) {
      if (a.reversed || b.reversed) this.fail(node, 'merges a reversed direction');
      const axis = node.attributes.axis as number | undefined;
      if (node.op === 'Concat' && !(axis === -1 || axis === (a.sequence ? 2 : 1)))
        this.fail(node, `concatenates the directions along axis ${axis}, not the features`);
      return { kind: 'merged', rec: a.rec, mode: node.op === 'Concat' ? 'concat' : node.op === 'Add' ? 'sum' : 'mul', sequence: a.sequence, layout: a.layout };
    }
    if (node.op === 'Mul' && a?.kind === 'merged' && a.mode === 'sum' && b?.kind === 'const' && b.c.values.length === 1 && b.c.values[0] === 0.5)
      return { ...a, mode: 'ave' };
    if (node.op === 'Add' && a?.kind === 'dense' && !a.bias && a.activation === 'linear' && b?.kind === 'const' && b.c.values.length === a.units) {
      return { ...a, bias: Float32Array.from(b.c.values) };
    }
    return this.fail(node, 'combines other than the two directions of one recurrent node, or a Dense output and its bias');
  }

  /** Gemm(A [batch, in], B, C) with alpha = beta = 1: a Dense (B transposed when transB). */
  private gemm(node: OnnxNode, [a, b, c]: (Value | undefined)[]): Value {
    const on = this.realize(a, node.name);
    const { alpha = 1, beta = 1, transA = 0, transB = 0 } = node.attributes as Record<string, number>;
    if (on.layout !== 'BF' || alpha !== 1 || beta !== 1 || transA !== 0 || b?.kind !== 'const' || b.c.dims.length !== 2)
      this.fail(node, 'is not a [batch, in] × weight (+ bias) product');
    const [rows, cols] = b.c.dims;
    const [inputs, units] = transB ? [cols, rows] : [rows, cols];
    if (inputs !== on.features) this.fail(node, `multiplies ${on.features} features by a weight of ${inputs} rows`);
    const kernel = new Float32Array(inputs * units);
    for (let i = 0; i < inputs; i++) for (let u = 0; u < units; u++) kernel[i * units + u] = b.c.values[transB ? u * inputs + i : i * units + u];
    if (c && (c.kind !== 'const' || c.c.values.length !== units)) this.fail(node, `adds a bias that is not a constant of ${units} values`);
    return { kind: 'dense', on, kernel, units, bias: c ? Float32Array.from(c.c.values) : undefined, activation: 'linear' };
  }

  /** The activation fused into a Dense before it, or an Activation layer. */
  private activate(node: OnnxNode, a: Value | undefined, activation: string): Value {
    const { alpha, beta, axis } = node.attributes as Record<string, number | undefined>;
    if (node.op === 'HardSigmoid' && !(Math.fround(alpha ?? 0.2) === Math.fround(0.2) && Math.fround(beta ?? 0.5) === Math.fround(0.5)))
      this.fail(node, `has alpha ${alpha}, beta ${beta}; Keras's hard sigmoid is 0.2·x + 0.5`);
    if (node.op === 'Elu' && (alpha ?? 1) !== 1) this.fail(node, `has alpha ${alpha}; Keras's elu has 1`);
    if (node.op === 'Softmax' && axis !== undefined && axis !== -1 && !(a?.kind === 'dense' && axis === (a.on.layout === 'BTF' ? 2 : 1)))
      this.fail(node, `is over axis ${axis}, not the features`);
    if (a?.kind === 'dense' && a.activation === 'linear') return { ...a, activation };
    const on = this.realize(a, node.name);
    if (on.layout === 'TBF') this.fail(node, 'activates a time-major sequence');
    this.add(new Activation(this.first({ activation }) as never));
    return { kind: 'flow', layout: on.layout, features: on.features, steps: on.steps };
  }
}

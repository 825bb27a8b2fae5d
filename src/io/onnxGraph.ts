// A small builder of ONNX graphs (onnx-proto's generated ModelProto): named initializers,
// nodes with typed attributes, graph inputs and outputs with symbolic batch and step
// dimensions, and the serialized model. Names are made unique by the builder.
import onnxProto, { type onnx as Onnx } from 'onnx-proto';

// onnx-proto is CommonJS: Node's ESM import gives only its default export.
const { onnx } = onnxProto;

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
const AttributeType = onnx.AttributeProto.AttributeType;

/** An attribute value: a number is an INT unless listed in `floats`; strings, lists of each. */
export type AttributeValue = number | string | readonly number[] | readonly string[];

/** One dimension of a graph input or output: a size, or a symbolic name ('batch', 'steps'). */
export type Dim = number | string;

export class OnnxGraph {
  private readonly nodes: Onnx.INodeProto[] = [];
  private readonly initializers: Onnx.ITensorProto[] = [];
  private readonly inputs: Onnx.IValueInfoProto[] = [];
  private readonly outputs: Onnx.IValueInfoProto[] = [];
  private readonly used = new Set<string>();

  /** `base`, or `base_2`, `base_3`, … if taken. */
  unique(base: string): string {
    let name = base.replace(/[^\w/.-]/g, '_');
    for (let i = 2; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  /** A float32 initializer of `shape` (row-major `values`); returns its name. */
  floats(base: string, shape: readonly number[], values: ArrayLike<number>): string {
    const name = this.unique(base);
    const data = Float32Array.from(values as ArrayLike<number>);
    this.initializers.push({ name, dims: [...shape], dataType: FLOAT, rawData: new Uint8Array(data.buffer) });
    return name;
  }

  /** An int64 initializer (shapes, axes, indices); returns its name. */
  ints(base: string, values: readonly number[], shape: readonly number[] = [values.length]): string {
    const name = this.unique(base);
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push({ name, dims: [...shape], dataType: INT64, rawData: new Uint8Array(data.buffer) });
    return name;
  }

  /**
   * A node of `op` on `inputs` ('' for an optional input left out); returns its outputs'
   * names (`outputs` of them). Attributes named in `floats` are FLOAT(S), other numbers INT(S).
   */
  node(op: string, inputs: readonly string[], attributes: Record<string, AttributeValue> = {}, outputs = 1, floats: readonly string[] = []): string[] {
    const names = Array.from({ length: outputs }, (_, i) => this.unique(`${op}${outputs > 1 ? `_${i}` : ''}`));
    const attribute = Object.entries(attributes).map(([name, value]) => toAttribute(name, value, floats.includes(name)));
    this.nodes.push({ opType: op, input: [...inputs], output: names, name: this.unique(`node_${op}`), attribute });
    return names;
  }

  /** `node(...)` with one output, returned as a string. */
  op(op: string, inputs: readonly string[], attributes: Record<string, AttributeValue> = {}, floats: readonly string[] = []): string {
    return this.node(op, inputs, attributes, 1, floats)[0];
  }

  input(name: string, dims: readonly Dim[]): string {
    this.used.add(name);
    this.inputs.push(valueInfo(name, dims));
    return name;
  }

  /** Marks `value` as the graph output `name` (through an Identity). */
  output(value: string, name: string, dims: readonly Dim[]): void {
    this.used.add(name);
    this.nodes.push({ opType: 'Identity', input: [value], output: [name], name: this.unique('node_Identity') });
    this.outputs.push(valueInfo(name, dims));
  }

  /** The serialized ModelProto. */
  encode(graphName: string, opset: number, producerVersion: string): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'webgpu-rnn',
      producerVersion,
      opsetImport: [{ domain: '', version: opset }],
      graph: { name: graphName, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function valueInfo(name: string, dims: readonly Dim[]): Onnx.IValueInfoProto {
  const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType: FLOAT, shape: { dim } } } };
}

function toAttribute(name: string, value: AttributeValue, float: boolean): Onnx.IAttributeProto {
  const text = (s: string) => new TextEncoder().encode(s);
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: text(value) };
  if (typeof value === 'number') return float ? { name, type: AttributeType.FLOAT, f: value } : { name, type: AttributeType.INT, i: value };
  if (value.length > 0 && typeof value[0] === 'string') return { name, type: AttributeType.STRINGS, strings: (value as string[]).map(text) };
  return float ? { name, type: AttributeType.FLOATS, floats: [...(value as number[])] } : { name, type: AttributeType.INTS, ints: [...(value as number[])] };
}

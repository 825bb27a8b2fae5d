// Reading an ONNX ModelProto (onnx-proto's generated decoder): the graph's nodes with their
// attributes as plain values, its initializers and Constant nodes as numbers, and the dims
// of its input. Only what importOnnx needs: float32 and int64 tensors, dense storage.
import onnxProto, { type onnx as Onnx } from 'onnx-proto';
import { ModelFormatError } from '../spec/ioErrors.js';

// onnx-proto is CommonJS: Node's ESM import gives only its default export.
const { onnx } = onnxProto;
const { DataType } = onnx.TensorProto;
const AttributeType = onnx.AttributeProto.AttributeType;

/** A constant: its dims and values (row-major), as numbers. */
export interface OnnxConstant {
  dims: number[];
  values: Float64Array;
}

export type OnnxAttribute = number | string | number[] | string[] | OnnxConstant;

export interface OnnxNode {
  op: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, OnnxAttribute>;
}

export interface OnnxModel {
  nodes: OnnxNode[];
  constants: Map<string, OnnxConstant>;
  /** The graph's inputs that are not initializers: name and dims (a symbolic dim is null). */
  inputs: { name: string; dims: (number | null)[] }[];
  outputs: string[];
  opset: number;
}

/** protobufjs gives int64 as a number or a Long. */
function toNumber(value: number | { toNumber(): number } | null | undefined): number {
  return typeof value === 'number' ? value : value ? value.toNumber() : 0;
}

function tensorValues(t: Onnx.ITensorProto, where: string): OnnxConstant {
  const dims = (t.dims ?? []).map((d) => toNumber(d as never));
  const count = dims.reduce((a, b) => a * b, 1);
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  const view = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : undefined;
  const values = new Float64Array(count);
  if (t.dataType === DataType.FLOAT) {
    for (let i = 0; i < count; i++) values[i] = view ? view.getFloat32(4 * i, true) : (t.floatData?.[i] ?? 0);
  } else if (t.dataType === DataType.INT64) {
    for (let i = 0; i < count; i++) values[i] = view ? Number(view.getBigInt64(8 * i, true)) : toNumber(t.int64Data?.[i] as never);
  } else if (t.dataType === DataType.INT32) {
    for (let i = 0; i < count; i++) values[i] = view ? view.getInt32(4 * i, true) : (t.int32Data?.[i] ?? 0);
  } else {
    throw new ModelFormatError(`${where}: the tensor '${t.name}' is of ONNX data type ${t.dataType}; float32 and int64 tensors are read.`);
  }
  return { dims, values };
}

function attributeValue(a: Onnx.IAttributeProto, where: string): OnnxAttribute {
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  switch (a.type) {
    case AttributeType.FLOAT:
      return a.f ?? 0;
    case AttributeType.INT:
      return toNumber(a.i as never);
    case AttributeType.STRING:
      return text(a.s ?? new Uint8Array());
    case AttributeType.FLOATS:
      return [...(a.floats ?? [])];
    case AttributeType.INTS:
      return (a.ints ?? []).map((v) => toNumber(v as never));
    case AttributeType.STRINGS:
      return (a.strings ?? []).map(text);
    case AttributeType.TENSOR:
      return tensorValues(a.t ?? {}, where);
    default:
      throw new ModelFormatError(`${where}: the attribute '${a.name}' is of a type (${a.type}) this reader does not take.`);
  }
}

/** The model of ONNX `bytes`, or a ModelFormatError saying why it is not one. */
export function readOnnx(bytes: Uint8Array, where: string): OnnxModel {
  let model: Onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (cause) {
    throw new ModelFormatError(`${where} is not an ONNX model (a ModelProto): ${(cause as Error).message}`);
  }
  const graph = model.graph;
  if (!graph) throw new ModelFormatError(`${where}: the ONNX model has no graph.`);
  const constants = new Map<string, OnnxConstant>();
  for (const t of graph.initializer ?? []) constants.set(t.name ?? '', tensorValues(t, where));
  const nodes: OnnxNode[] = [];
  for (const [i, n] of (graph.node ?? []).entries()) {
    const node: OnnxNode = {
      op: n.opType ?? '',
      name: n.name || `node ${i} (${n.opType})`,
      inputs: [...(n.input ?? [])],
      outputs: [...(n.output ?? [])],
      attributes: Object.fromEntries((n.attribute ?? []).map((a) => [a.name ?? '', attributeValue(a, where)])),
    };
    if (node.op === 'Constant') {
      const value = node.attributes.value;
      if (typeof value !== 'object' || Array.isArray(value)) throw new ModelFormatError(`${where}: ${node.name} is a Constant without a tensor value.`);
      constants.set(node.outputs[0], value);
    } else nodes.push(node);
  }
  const inputs = (graph.input ?? [])
    .filter((v) => !constants.has(v.name ?? ''))
    .map((v) => ({
      name: v.name ?? '',
      dims: (v.type?.tensorType?.shape?.dim ?? []).map((d) =>
        d.dimValue !== undefined && d.dimValue !== null && toNumber(d.dimValue as never) > 0 ? toNumber(d.dimValue as never) : null,
      ),
    }));
  const opset = Math.max(0, ...(model.opsetImport ?? []).filter((o) => !o.domain).map((o) => toNumber(o.version as never)));
  return { nodes, constants, inputs, outputs: (graph.output ?? []).map((v) => v.name ?? ''), opset };
}

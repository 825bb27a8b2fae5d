// A reader of .safetensors files (Hugging Face): an 8-byte little-endian header length N, N
// bytes of JSON { name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: {…} },
// then the tensors' bytes, little-endian, offsets relative to the end of the header. Every
// tensor is returned as a Float32Array: F32 as is; F64, F16, BF16 and the integer types converted.
import { ModelFormatError } from '../spec/ioErrors.js';
import { toArrayBuffer } from './ioHandlers.js';

/** One tensor's entry in the header. */
export interface SafetensorsEntry {
  dtype: string;
  shape: number[];
  /** [begin, end) in bytes from the start of the data section. */
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  tensors: Record<string, SafetensorsEntry>;
  /** The free-form string map `__metadata__`, when present. */
  metadata: Record<string, string>;
  /** Where the data section starts in the file. */
  dataStart: number;
}

const BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, U64: 8, I32: 4, U32: 4, I16: 2, U16: 2, I8: 1, U8: 1, BOOL: 1 };

/** Parses and checks the header of a .safetensors file. */
export function readSafetensorsHeader(bytes: ArrayBuffer | ArrayBufferView): SafetensorsHeader {
  const buffer = asBytes(bytes);
  const fail = (message: string): never => {
    throw new ModelFormatError(`.safetensors: ${message}`);
  };
  if (buffer.byteLength < 8)
    fail(`the file holds ${buffer.byteLength} bytes, fewer than the 8 of the header length: it is truncated or not a .safetensors file.`);
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > buffer.byteLength - 8) {
    fail(`the header claims ${headerLength} bytes but the file holds ${buffer.byteLength - 8} after the length: it is truncated or not a .safetensors file.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(8, 8 + headerLength)));
  } catch (cause) {
    throw new ModelFormatError(`.safetensors: the header is not valid JSON (${(cause as Error).message}).`, { cause });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('the header is not a JSON object.');
  const dataStart = 8 + headerLength;
  const dataLength = buffer.byteLength - dataStart;
  const tensors: Record<string, SafetensorsEntry> = {};
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = (value ?? {}) as Record<string, string>;
      continue;
    }
    const v = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof v !== 'object' || v === null) fail(`the entry of '${name}' is not an object.`);
    if (typeof v.dtype !== 'string' || !(v.dtype in BYTES)) {
      fail(`'${name}' has dtype ${JSON.stringify(v.dtype)}; supported: ${Object.keys(BYTES).join(', ')}.`);
    }
    const shape = v.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0))
      fail(`'${name}' has shape ${JSON.stringify(shape)}: whole numbers expected.`);
    const offsets = v.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0) || offsets[1] < offsets[0]) {
      fail(`'${name}' has data_offsets ${JSON.stringify(offsets)}: [begin, end] expected.`);
    }
    const [begin, end] = offsets as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    const expected = count * BYTES[v.dtype as string];
    if (end - begin !== expected) fail(`'${name}' (${v.dtype} ${JSON.stringify(shape)}) needs ${expected} bytes but its data_offsets span ${end - begin}.`);
    if (end > dataLength) fail(`'${name}' ends at byte ${end} of the data, past its ${dataLength} bytes: the file is truncated.`);
    tensors[name] = { dtype: v.dtype as string, shape: [...(shape as number[])], dataOffsets: [begin, end] };
  }
  return { tensors, metadata, dataStart };
}

/**
 * Reads a .safetensors file: every tensor by name as a Float32Array (row-major, in the file's
 * shape; see readSafetensorsHeader for the shapes). F16 and BF16 are widened exactly; F64 and
 * 64-bit integers are rounded to f32.
 */
export function readSafetensors(bytes: ArrayBuffer | ArrayBufferView): Record<string, Float32Array> {
  const buffer = asBytes(bytes);
  const header = readSafetensorsHeader(buffer);
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const out: Record<string, Float32Array> = {};
  for (const [name, entry] of Object.entries(header.tensors)) {
    const start = header.dataStart + entry.dataOffsets[0];
    const size = BYTES[entry.dtype];
    const count = (entry.dataOffsets[1] - entry.dataOffsets[0]) / size;
    const values = new Float32Array(count);
    const read = reader(entry.dtype, view);
    for (let i = 0; i < count; i++) values[i] = read(start + i * size);
    out[name] = values;
  }
  return out;
}

/** Reads a .safetensors file given as bytes or a Blob / File. */
export async function readSafetensorsFile(file: ArrayBuffer | ArrayBufferView | Blob): Promise<Record<string, Float32Array>> {
  return readSafetensors(await toArrayBuffer(file, 'The .safetensors file'));
}

function asBytes(bytes: ArrayBuffer | ArrayBufferView): Uint8Array {
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  if (ArrayBuffer.isView(bytes)) return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  throw new ModelFormatError('.safetensors: give the file as an ArrayBuffer or a typed array (read a Blob with readSafetensorsFile).');
}

function reader(dtype: string, view: DataView): (at: number) => number {
  switch (dtype) {
    case 'F64':
      return (at) => view.getFloat64(at, true);
    case 'F32':
      return (at) => view.getFloat32(at, true);
    case 'F16':
      return (at) => float16ToFloat32(view.getUint16(at, true));
    case 'BF16':
      return (at) => bfloat16ToFloat32(view.getUint16(at, true));
    case 'I64':
      return (at) => Number(view.getBigInt64(at, true));
    case 'U64':
      return (at) => Number(view.getBigUint64(at, true));
    case 'I32':
      return (at) => view.getInt32(at, true);
    case 'U32':
      return (at) => view.getUint32(at, true);
    case 'I16':
      return (at) => view.getInt16(at, true);
    case 'U16':
      return (at) => view.getUint16(at, true);
    case 'I8':
      return (at) => view.getInt8(at);
    case 'U8':
    case 'BOOL':
      return (at) => view.getUint8(at);
    default:
      throw new ModelFormatError(`.safetensors: dtype ${dtype} is not supported.`);
  }
}

/** The value of an IEEE 754 binary16 given by its 16 bits (subnormals, ±Infinity and NaN included). */
export function float16ToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

const bf16Scratch = new DataView(new ArrayBuffer(4));

/** The value of a bfloat16 given by its 16 bits: the upper half of an f32. */
export function bfloat16ToFloat32(bits: number): number {
  bf16Scratch.setUint32(0, ((bits & 0xffff) << 16) >>> 0);
  return bf16Scratch.getFloat32(0);
}

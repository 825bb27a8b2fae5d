// The binary pieces of the saved-model format: little-endian f32 arrays at byte offsets of the
// weight file, and its CRC-32 checksum.

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** `count` little-endian f32 values of `buffer` from `byteOffset`, copied. */
export function readF32(buffer: ArrayBuffer, byteOffset: number, count: number): Float32Array {
  if (LITTLE_ENDIAN && byteOffset % 4 === 0) return new Float32Array(buffer.slice(byteOffset, byteOffset + count * 4));
  const view = new DataView(buffer, byteOffset, count * 4);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** Writes `values` as little-endian f32 into `buffer` from `byteOffset`. */
export function writeF32(buffer: ArrayBuffer, byteOffset: number, values: Float32Array): void {
  if (LITTLE_ENDIAN && byteOffset % 4 === 0) {
    new Float32Array(buffer, byteOffset, values.length).set(values);
    return;
  }
  const view = new DataView(buffer, byteOffset, values.length * 4);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, as zlib's crc32) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  const table = crcTable;
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = table[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

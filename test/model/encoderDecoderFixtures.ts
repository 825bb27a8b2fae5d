// Helpers shared by the encoder–decoder tests (encoderDecoder.test.ts, encoderDecoderDecode.test.ts).

/** A flat array as rows of `size` values (the nested arrays that fit() also takes). */
export function chunk(values: ArrayLike<number>, size: number): number[][] {
  return Array.from({ length: values.length / size }, (_, i) => Array.from(values).slice(i * size, (i + 1) * size));
}

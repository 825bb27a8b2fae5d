// Kernels of the weightless layers: masking (the step mask of Masking and Embedding maskZero),
// repeat_vector (RepeatVector, forward and backward, timed apart) and the Bidirectional merge
// (bidirectional_merge, bidirectional_merge_backward), each against its CPU twin.
import { encodeBidirectionalMerge, encodeBidirectionalMergeBackward, type MergeKernelMode } from '../../src/kernels/bidirectionalMerge.js';
import { encodeMasking } from '../../src/kernels/masking.js';
import { encodeRepeatVector, encodeRepeatVectorBackward } from '../../src/kernels/repeatVector.js';
import type { Random } from '../../src/init/random.js';
import { mergeBackward, mergeOutputs } from '../../src/reference/bidirectional.js';
import { reverseSteps } from '../../src/reference/sequenceOptions.js';
import { ReferenceRepeatVector } from '../../src/reference/shapeLayers.js';
import { stepMask } from '../../src/reference/layout.js';
import { cpuTensor } from '../../src/reference/tensor.js';
import { bothDirections, type Direction, defineBench, unwritten, upload } from './harness.js';
import { f64, postPaddedMask } from './layout.js';

interface MaskingCase {
  /** x [B, T, F], batch-major. */
  B: number;
  T: number;
  F: number;
}

const MASK_VALUE = 0;

export const masking = defineBench<MaskingCase>({
  name: 'masking',
  what: 'encodeMasking (maskValue 0) vs reference stepMask',
  // Padded feature sequences (Masking) and padded ids (Embedding maskZero: F = 1).
  cases: (quick) =>
    quick
      ? [
          { B: 16, T: 100, F: 32 },
          { B: 64, T: 100, F: 1 },
        ]
      : [
          { B: 64, T: 400, F: 128 },
          { B: 256, T: 400, F: 1 },
        ],
  label: ({ B, T, F }) => `[${B}×${T}×${F}]`,
  prepare(gpu, { B, T, F }, random) {
    // Post-padded samples: padding steps all maskValue; a kept step in ±1 (ids in [1, 96) at
    // F = 1), half of them with a leading maskValue so that the kernel looks past it.
    const padded = postPaddedMask(random, B, T);
    const x = new Float32Array(B * T * F);
    for (let s = 0; s < B * T; s++) {
      if (!padded[s]) continue;
      for (let f = 0; f < F; f++) x[s * F + f] = F === 1 ? 1 + random.int(95) : random.uniform(-1, 1);
      if (F > 1 && random.next() < 0.5) x[s * F] = MASK_VALUE;
    }
    const buffers = { x: upload(gpu, x), mask: unwritten(gpu, B * T) };
    return {
      encode: (pass, run) => encodeMasking(gpu, pass, run, { ...buffers, B, T, F, timeMajor: false, maskValue: MASK_VALUE }),
      dispatches: 1,
      // A comparison a value read; reads x (a kept step stops at its first value ≠ maskValue:
      // counted in full, as the work formula does), writes the mask [B, T].
      flops: B * T * F,
      bytes: 4 * (B * T * F + B * T),
      expected() {
        const mask = stepMask(x, B, T, F, MASK_VALUE);
        // 1 / 0 from exact comparisons: exact.
        return [{ name: 'mask', buffer: buffers.mask, expected: mask, atol: 0, rtol: 0 }];
      },
      buffers: Object.values(buffers),
    };
  },
});

interface RepeatCase {
  direction: Direction;
  /** x [B, F] repeated N times: y [B, N, F]. */
  B: number;
  N: number;
  F: number;
}

export const repeatVector = defineBench<RepeatCase>({
  name: 'repeat_vector',
  what: 'encodeRepeatVector / encodeRepeatVectorBackward vs ReferenceRepeatVector',
  // An encoder-decoder's bridge: the encoder's last h repeated over the decoder's steps.
  cases: (quick) => bothDirections(quick ? [{ B: 8, N: 50, F: 128 }] : [{ B: 64, N: 200, F: 256 }]),
  label: ({ direction, B, N, F }) => `${direction} [${B}×${F}] N=${N}`,
  prepare(gpu, { direction, B, N, F }, random) {
    const n = B * N * F;
    const x = random.uniformArray(B * F);
    const dy = random.uniformArray(n);
    const forward = direction === 'forward';
    const buffers = { src: upload(gpu, forward ? x : dy), out: unwritten(gpu, forward ? n : B * F) };
    return {
      encode: (pass, run) =>
        forward
          ? encodeRepeatVector(gpu, pass, run, { B, N, F, x: buffers.src, y: buffers.out })
          : encodeRepeatVectorBackward(gpu, pass, run, { B, N, F, dy: buffers.src, dx: buffers.out }),
      dispatches: 1,
      // Forward: a copy, reads a value of x for each y written. Backward: N − 1 adds a dX
      // value; reads dY, writes dX.
      flops: forward ? 0 : B * F * (N - 1),
      bytes: 4 * (forward ? 2 * n : n + B * F),
      expected() {
        const twin = new ReferenceRepeatVector({ n: N });
        const { y, saved } = twin.forwardTrain(cpuTensor(x, [B, F]));
        // y: a copy, exact. dX, the layer test's bound: a sum of N values in ±1, ≤ N·2⁻²⁴·|partial
        // sums| (1e-6 at N ≤ 9), the partial sums' ~√N kept for longer sequences.
        return forward
          ? [{ name: 'y', buffer: buffers.out, expected: y.data, atol: 0, rtol: 0 }]
          : [{ name: 'dx', buffer: buffers.out, expected: twin.backward(saved, f64(dy)).dX, atol: Math.max(1e-6, N ** 1.5 * 2 ** -24), rtol: 0 }];
      },
      buffers: Object.values(buffers),
    };
  },
});

type MergeMode = Exclude<MergeKernelMode, 'backward'>;

interface MergeCase {
  /** The directions' outputs f, r [T, B, H], time-major; r in its processing order (reversed). */
  T: number;
  B: number;
  H: number;
  mode: MergeMode;
  /** A post-padded step mask (a sequence output of masked input: zeros at masked steps). */
  masked: boolean;
}

// A Bidirectional(LSTM(H), returnSequences): each merge mode, and concat (the default) masked.
const mergeCases = (quick: boolean): MergeCase[] =>
  (quick ? [{ T: 50, B: 8, H: 128 }] : [{ T: 200, B: 64, H: 256 }]).flatMap((s) => [
    ...(['concat', 'sum', 'mul', 'ave'] as const).map((mode) => ({ ...s, mode, masked: false })),
    { ...s, mode: 'concat' as const, masked: true },
  ]);
const mergeLabel = ({ T, B, H, mode, masked }: MergeCase) => `${mode}${masked ? ' masked' : ''} T=${T} B=${B} H=${H}`;
// sum, mul, ave (a sum times 0.5, exact) are one correctly rounded f32 operation, ≤ 2⁻²⁴·|ref|;
// concat and the routing are copies. No kernel test of its own (the Bidirectional layer tests
// hold the whole layer to 1e-4): 2⁻²³, twice the bound; a wrong step or direction is off by O(1).
const MERGE_RTOL = 2 ** -23;

/** The inputs both merge benches share; `aligned` reverses r into f's step order, `zeroMasked` zeros masked rows. */
function mergeInputs(random: Random, { T, B, H, masked }: MergeCase) {
  const n = T * B * H;
  const [f, r] = [random.uniformArray(n), random.uniformArray(n)];
  const mask = masked ? postPaddedMask(random, B, T) : undefined;
  return {
    n,
    f,
    r,
    mask,
    aligned: (a: ArrayLike<number>) => reverseSteps(a, 1, T, B * H),
    zeroMasked(a: Float64Array, W: number): Float64Array {
      if (mask) for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) if (!mask[b * T + t]) a.fill(0, (t * B + b) * W, (t * B + b + 1) * W);
      return a;
    },
  };
}

export const bidirectionalMerge = defineBench<MergeCase>({
  name: 'bidirectional_merge',
  what: 'encodeBidirectionalMerge (sequence output, reverse) vs reference mergeOutputs',
  cases: mergeCases,
  label: mergeLabel,
  prepare(gpu, c, random) {
    const { T, B, H, mode } = c;
    const inputs = mergeInputs(random, c);
    const W = mode === 'concat' ? 2 * H : H;
    const buffers = { f: upload(gpu, inputs.f), r: upload(gpu, inputs.r), y: unwritten(gpu, T * B * W), mask: inputs.mask && upload(gpu, inputs.mask) };
    const n = inputs.n;
    return {
      encode: (pass, run) =>
        encodeBidirectionalMerge(gpu, pass, run, {
          ...c,
          reverse: true,
          f: { buffer: buffers.f, offset: 0 },
          r: { buffer: buffers.r, offset: 0 },
          y: buffers.y,
          mask: buffers.mask,
        }),
      dispatches: 1,
      // FLOPs a value: concat 0, sum and mul 1, ave 2; reads f and r (and the mask once a
      // value), writes y [T, B, W].
      flops: n * { concat: 0, sum: 1, mul: 1, ave: 2 }[mode],
      bytes: 4 * (2 * n + (inputs.mask ? n : 0) + T * B * W),
      expected() {
        const y = inputs.zeroMasked(mergeOutputs(mode, f64(inputs.f), inputs.aligned(inputs.r), H), W);
        return [{ name: 'y', buffer: buffers.y, expected: y, atol: 0, rtol: MERGE_RTOL }];
      },
      buffers: [buffers.f, buffers.r, buffers.y, ...(buffers.mask ? [buffers.mask] : [])],
    };
  },
});

export const bidirectionalMergeBackward = defineBench<MergeCase>({
  name: 'bidirectional_merge_backward',
  what: 'encodeBidirectionalMergeBackward (sequence output, reverse) vs reference mergeBackward',
  cases: mergeCases,
  label: mergeLabel,
  prepare(gpu, c, random) {
    const { T, B, H, mode } = c;
    const inputs = mergeInputs(random, c);
    const W = mode === 'concat' ? 2 * H : H;
    const dY = random.uniformArray(T * B * W);
    const n = inputs.n;
    const buffers = {
      dY: upload(gpu, dY),
      f: upload(gpu, inputs.f),
      r: upload(gpu, inputs.r),
      dF: unwritten(gpu, n),
      dR: unwritten(gpu, n),
      mask: inputs.mask && upload(gpu, inputs.mask),
    };
    const operand = (buffer: GPUBuffer) => ({ buffer, offset: 0 });
    return {
      encode: (pass, run) =>
        encodeBidirectionalMergeBackward(gpu, pass, run, {
          ...c,
          reverse: true,
          dY: operand(buffers.dY),
          f: operand(buffers.f),
          r: operand(buffers.r),
          dF: buffers.dF,
          dR: buffers.dR,
          mask: buffers.mask,
        }),
      dispatches: 1,
      // FLOPs a value: mul 2 (dY·r, dY·f), ave 2 (two halves), concat and sum 0; reads dY [T, B, W],
      // f and r for mul, the mask once a value; writes dF and dR.
      flops: n * (mode === 'mul' || mode === 'ave' ? 2 : 0),
      bytes: 4 * (T * B * W + (mode === 'mul' ? 2 * n : 0) + (inputs.mask ? n : 0) + 2 * n),
      expected() {
        const grads = mergeBackward(mode, dY, f64(inputs.f), inputs.aligned(inputs.r), H);
        // dR back in r's (processing) order.
        const dR = inputs.aligned(inputs.zeroMasked(grads.dR, H));
        return [
          { name: 'dF', buffer: buffers.dF, expected: inputs.zeroMasked(grads.dF, H), atol: 0, rtol: MERGE_RTOL },
          { name: 'dR', buffer: buffers.dR, expected: dR, atol: 0, rtol: MERGE_RTOL },
        ];
      },
      buffers: [buffers.dY, buffers.f, buffers.r, buffers.dF, buffers.dR, ...(buffers.mask ? [buffers.mask] : [])],
    };
  },
});

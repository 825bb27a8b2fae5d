// Keras's `dropout` and `recurrentDropout` of the recurrent layers, on the GPU. In training,
// the input x[b, t, :] is multiplied by one mask [B, D] for every step t, and the previous state
// h[t-1] by one mask [B, H] inside the step kernels (LSTM and SimpleRNN: in the recurrent
// matmul; GRU: everywhere h[t-1] is read, as TF.js). Masks are hashes of (seed, step, b·F + f)
// (shaders/dropout.wgsl), so the backward recomputes them instead of keeping them; the step
// advances with every training forward. In inference both are the identity.
import { encodeDropout } from '../kernels/dropout.js';
import type { Gpu, RunScope } from '../runtime/device.js';
import { dropoutThreshold, RecurrentDropoutStream } from '../init/dropoutMask.js';
import type { Flow } from '../layers/layer.js';
import type { InputGradTarget } from './sequenceOptions.js';

/** The masks of one training forward: the step they were drawn at, and the [B, H] recurrent multipliers. */
export interface DropoutDraw {
  step: number;
  /** [B, H] of 0 and 1/(1 − recurrentDropout), when recurrentDropout > 0. */
  recurrentMask?: GPUBuffer;
}

export class RecurrentDropout extends RecurrentDropoutStream {
  /** The masks of the next training step for a batch of B and H units (undefined when both rates are 0). */
  draw(gpu: Gpu, encoder: GPUCommandEncoder, run: RunScope, B: number, H: number): DropoutDraw | undefined {
    const step = this.advance();
    if (step === undefined) return undefined;
    if (this.recurrentRate === 0) return { step };
    const recurrentMask = run.scratch(B * H * 4, 'recurrent dropout mask');
    this.encode(gpu, encoder, run, 'recurrent', { x: run.scratch(16, 'unread'), y: recurrentMask, shape: [B, H], timeMajor: false, step, mode: 'mask' });
    return { step, recurrentMask };
  }

  /** x ⊙ the input mask of `draw` (a copy in x's layout, mask and all), or x itself without input dropout. */
  encodeInput(gpu: Gpu, encoder: GPUCommandEncoder, run: RunScope, input: Flow, draw: DropoutDraw | undefined): Flow {
    if (!draw || this.rate === 0) return input;
    const count = input.shape.reduce((a, b) => a * b, 1);
    const y = run.scratch(count * 4, 'dropped input');
    this.encode(gpu, encoder, run, 'input', { x: input.buffer, xOffset: input.offset, y, shape: input.shape, timeMajor: input.timeMajor, step: draw.step });
    return { ...input, buffer: y, offset: 0 };
  }

  /**
   * The input gradient through the input mask: dX [T, B, D] time-major (the dX GEMM's
   * output) ⊙ mask, into `target` (added with accumulate) or a new buffer. Without input
   * dropout, nothing to do: returns dX.
   */
  encodeInputGrad(
    gpu: Gpu,
    encoder: GPUCommandEncoder,
    run: RunScope,
    dX: GPUBuffer,
    shape: readonly number[],
    draw: DropoutDraw | undefined,
    target?: InputGradTarget,
  ): GPUBuffer {
    if (!draw || this.rate === 0) return dX;
    const y = target?.buffer ?? run.scratch(shape.reduce((a, b) => a * b, 1) * 4, 'dX through dropout');
    this.encode(gpu, encoder, run, 'input', { x: dX, y, shape, timeMajor: true, step: draw.step, mode: target?.accumulate ? 'accumulate' : 'multiply' });
    return y;
  }

  /**
   * `rows` ⊙ the recurrent mask: states [T, B, H] time-major (or [B, H] with T = 1), into a
   * new buffer or, with 'accumulate', added to `into`.
   */
  encodeRecurrent(
    gpu: Gpu,
    encoder: GPUCommandEncoder,
    run: RunScope,
    rows: GPUBuffer,
    T: number,
    B: number,
    H: number,
    draw: DropoutDraw,
    into?: GPUBuffer,
  ): GPUBuffer {
    const y = into ?? run.scratch(T * B * H * 4, 'states through recurrent dropout');
    this.encode(gpu, encoder, run, 'recurrent', { x: rows, y, shape: [B, T, H], timeMajor: true, step: draw.step, mode: into ? 'accumulate' : 'multiply' });
    return y;
  }

  /**
   * The gradient of the initial state h0 of a layer whose only use of h[t-1] in the cell is the
   * recurrent matmul: dh0 = (dG[0]·Uᵀ)⊙m, plus with a sequence mask the dh carried through masked
   * first steps (`carried`, element offset `carriedOffset`). `encodeProduct(pass, y, accumulate)`
   * encodes dG[0]·Uᵀ into y. Ends `pass`.
   */
  encodeInitialStateGrad(
    gpu: Gpu,
    encoder: GPUCommandEncoder,
    run: RunScope,
    pass: GPUComputePassEncoder,
    args: {
      target: GPUBuffer;
      B: number;
      H: number;
      draw?: DropoutDraw;
      carried?: GPUBuffer;
      carriedOffset?: number;
      encodeProduct: (pass: GPUComputePassEncoder, y: GPUBuffer, accumulate: boolean) => void;
    },
  ): void {
    const { target, B, H, draw, carried } = args;
    const bytes = B * H * 4;
    const copyCarried = () => encoder.copyBufferToBuffer(carried!, (args.carriedOffset ?? 0) * 4, target, 0, bytes);
    if (!draw?.recurrentMask) {
      if (carried) {
        pass.end();
        copyCarried();
        pass = encoder.beginComputePass({ label: 'dh0' });
      }
      args.encodeProduct(pass, target, !!carried);
      pass.end();
      return;
    }
    const product = run.scratch(bytes, 'dG0·Uᵀ');
    args.encodeProduct(pass, product, false);
    pass.end();
    if (carried) copyCarried();
    else encoder.clearBuffer(target, 0, bytes);
    this.encodeRecurrent(gpu, encoder, run, product, 1, B, H, draw, target);
  }

  /** The dX GEMM's output: the caller's target, unless input dropout must mask dX first (then a new buffer). */
  inputGradBuffer(
    run: RunScope,
    draw: DropoutDraw | undefined,
    bytes: number,
    needInputGrad: boolean,
    target?: InputGradTarget,
  ): { buffer?: GPUBuffer; accumulate: boolean } {
    const masked = draw !== undefined && this.rate > 0;
    if (target && !masked) return { buffer: target.buffer, accumulate: target.accumulate };
    return { buffer: needInputGrad || target ? run.scratch(bytes, 'dX') : undefined, accumulate: false };
  }

  private encode(
    gpu: Gpu,
    encoder: GPUCommandEncoder,
    run: RunScope,
    which: 'input' | 'recurrent',
    args: {
      x: GPUBuffer;
      xOffset?: number;
      y: GPUBuffer;
      shape: readonly number[];
      timeMajor: boolean;
      step: number;
      mode?: 'multiply' | 'mask' | 'accumulate';
    },
  ): void {
    const rate = which === 'input' ? this.rate : this.recurrentRate;
    const pass = encoder.beginComputePass({ label: `${which} dropout` });
    encodeDropout(gpu, pass, run, {
      ...args,
      seed: this.seeds[which],
      threshold: dropoutThreshold(rate),
      scale: 1 / (1 - rate),
      perSequence: true,
    });
    pass.end();
  }
}

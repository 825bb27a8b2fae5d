// What apply() and gradients() of the recurrent layers and of Bidirectional share: the checks of
// their arguments, and the time-major layout BPTT takes a sequence gradient in.
import { encodeTimeToBatchMajor } from '../kernels/sequenceLayout.js';
import type { Gpu, RunScope } from '../runtime/device.js';
import { formatShape, ShapeError } from '../spec/errors.js';
import { Tensor } from '../runtime/tensor.js';
import { flowOf, type Flow, type RecurrentState } from '../layers/layer.js';

/** Throws unless `x` is a usable Tensor of shape [batch, steps, features]. */
export function checkApplyInput(x: unknown, owner: string): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new ShapeError(`${owner}.apply takes a Tensor: make one with tensor(gpu, data, shape).`);
  x.assertUsable('The input tensor');
  if (x.rank !== 3) throw new ShapeError(`${owner} expects input of shape [batch, steps, features], got ${formatShape(x.shape)}.`);
}

/** Throws unless gradients()' `x` is a Tensor of shape [batch, steps, features]. */
export function checkGradientInput(x: unknown, owner: string): asserts x is Tensor {
  if (!(x instanceof Tensor) || x.rank !== 3) throw new ShapeError(`${owner}.gradients expects x of shape [batch, steps, features].`);
}

/** Throws unless gradients()' `dOutput` is a Tensor of the output's shape `outShape`. */
export function checkOutputGradient(dOutput: unknown, outShape: readonly number[], owner: string): asserts dOutput is Tensor {
  if (!(dOutput instanceof Tensor) || formatShape(dOutput.shape) !== formatShape(outShape)) {
    throw new ShapeError(`${owner}.gradients: dOutput must have the output's shape ${formatShape(outShape)}.`);
  }
}

/**
 * The state buffers of an initial state as given to apply() / gradients(): [h0, c0] for a
 * layer with a cell state, else h0 or [h0]; each [B, H]. Without a cell state, c is h.
 */
export function checkInitialState(state: unknown, B: number, H: number, owner: string, withCell: boolean): RecurrentState {
  let list: unknown[];
  if (withCell) {
    if (!Array.isArray(state) || state.length !== 2) throw new ShapeError(`${owner}: initialState is [h0, c0], two tensors of shape [${B}, ${H}].`);
    list = state;
  } else {
    list = Array.isArray(state) ? state : [state];
    if (list.length !== 1) throw new ShapeError(`${owner}: initialState is h0, one tensor of shape [${B}, ${H}] (or a list of it).`);
  }
  const buffers = list.map((s, i) => {
    const what = withCell ? `initialState[${i}]` : 'initialState';
    if (!(s instanceof Tensor)) throw new ShapeError(`${owner}: ${what} must be a Tensor of shape [${B}, ${H}].`);
    s.assertUsable(`${owner}: ${what}`);
    if (s.rank !== 2 || s.shape[0] !== B || s.shape[1] !== H) {
      throw new ShapeError(`${owner}: ${what} must have shape [${B}, ${H}] ([batch, units]), got ${formatShape(s.shape)}.`);
    }
    return s.buffer;
  });
  return { h: buffers[0], c: buffers[buffers.length - 1] };
}

/**
 * dOutput as BPTT takes it: a sequence gradient [B, T, W] copied time-major to [T, B, W] (the
 * time-to-batch-major copy with the roles of T and B swapped); [B, W] as it is.
 */
export function timeMajorGradient(gpu: Gpu, encoder: GPUCommandEncoder, run: RunScope, dOutput: Tensor): Flow {
  if (dOutput.rank !== 3) return flowOf(dOutput);
  const [B, T, W] = dOutput.shape;
  const timeMajor = run.scratch(dOutput.byteLength, 'dY time-major');
  const pass = encoder.beginComputePass();
  encodeTimeToBatchMajor(gpu, pass, run, { src: dOutput.buffer, srcOffset: 0, y: timeMajor, T: B, B: T, H: W });
  pass.end();
  return { buffer: timeMajor, offset: 0, shape: [B, T, W], timeMajor: true };
}

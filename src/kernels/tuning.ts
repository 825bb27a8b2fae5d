// How a kernel module asks the device's tuner (src/runtime/tuner.ts) which variant to encode:
// the trial runs the module's own encode on a copy of the call's arguments whose every buffer
// is a zeroed one of the same size, so a trial never reads or writes the caller's data.
import type { Gpu, RunScope } from '../runtime/device.js';
import { TENSOR_USAGE } from '../runtime/gpuConstants.js';

/**
 * The variant of `family` to encode for the call `args` at `shape` (a key of rounded sizes):
 * the tuned one, or `fallback` (the cost model's) until it has been timed. `encode(pass, run,
 * variant, trialArgs)` encodes one candidate for the trial.
 */
export function tunedVariant<A extends object, V extends string>(
  gpu: Gpu,
  family: string,
  shape: string,
  args: A,
  candidates: readonly V[],
  fallback: V,
  encode: (pass: GPUComputePassEncoder, run: RunScope, variant: V, trialArgs: A) => void,
): V {
  if (!gpu.tuner.active) return fallback;
  return gpu.tuner.choose(family, shape, candidates, fallback, () => {
    const trial = { ...args } as Record<string, unknown>;
    const buffers: GPUBuffer[] = [];
    for (const [name, value] of Object.entries(trial)) {
      if (!isBuffer(value)) continue;
      const copy = gpu.device.createBuffer({ size: value.size, usage: TENSOR_USAGE, label: `tune ${family} ${name}` });
      trial[name] = copy;
      buffers.push(copy);
    }
    return { buffers, encode: (pass, run, variant) => encode(pass, run, variant, trial as A) };
  });
}

function isBuffer(value: unknown): value is GPUBuffer {
  return typeof value === 'object' && value !== null && typeof (value as GPUBuffer).destroy === 'function' && typeof (value as GPUBuffer).size === 'number';
}

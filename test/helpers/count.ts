// Counts the compute dispatches and queue submits that `run` encodes (synchronously).
import type { Gpu } from '../../src/index.js';

export function countDispatches<R>(gpu: Gpu, run: () => R): { result: R; dispatches: number; submits: number } {
  const queue = gpu.device.queue;
  const probe = gpu.device.createCommandEncoder().beginComputePass();
  const passProto = Object.getPrototypeOf(probe);
  probe.end();
  const dispatch = passProto.dispatchWorkgroups;
  const submit = queue.submit;
  let dispatches = 0;
  let submits = 0;
  passProto.dispatchWorkgroups = function (this: GPUComputePassEncoder, ...args: [number, number?, number?]) {
    dispatches++;
    return dispatch.apply(this, args);
  };
  queue.submit = function (this: GPUQueue, list: Iterable<GPUCommandBuffer>) {
    submits++;
    return submit.call(this, list);
  };
  try {
    return { result: run(), dispatches, submits };
  } finally {
    passProto.dispatchWorkgroups = dispatch;
    queue.submit = submit;
  }
}

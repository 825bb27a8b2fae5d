// The suite's timing: the time budget of a case, the dispatch counter and the timed runs.

/** How long a system may take for one case (check, warm-up, ≥ 5 timed runs) before it is
 *  timed on a prefix of the steps instead; and the time the timed runs aim to fill. */
export interface Budget {
  cpuCaseMs: number;
  /** The same for a system on the GPU adapter (ours included). */
  gpuCaseMs: number;
  targetMs: number;
  minRuns: number;
  maxRuns: number;
}

/** Counts compute dispatches by wrapping GPUComputePassEncoder (ours and TF.js's alike). */
export class DispatchCounter {
  count = 0;
  readonly installed: boolean;

  constructor() {
    const proto = (globalThis as { GPUComputePassEncoder?: { prototype: GPUComputePassEncoder } }).GPUComputePassEncoder?.prototype;
    this.installed = !!proto;
    if (!proto) return;
    const marker = proto as GPUComputePassEncoder & { __benchCounter?: DispatchCounter };
    if (marker.__benchCounter) {
      marker.__benchCounter = this;
      return;
    }
    marker.__benchCounter = this;
    const direct = proto.dispatchWorkgroups;
    const indirect = proto.dispatchWorkgroupsIndirect;
    proto.dispatchWorkgroups = function (this: GPUComputePassEncoder, ...args: Parameters<GPUComputePassEncoder['dispatchWorkgroups']>) {
      marker.__benchCounter!.count++;
      return direct.apply(this, args);
    };
    proto.dispatchWorkgroupsIndirect = function (this: GPUComputePassEncoder, ...args: Parameters<GPUComputePassEncoder['dispatchWorkgroupsIndirect']>) {
      marker.__benchCounter!.count++;
      return indirect.apply(this, args);
    };
  }

  async countRun(run: () => Promise<unknown>): Promise<number | null> {
    if (!this.installed) return null;
    this.count = 0;
    await run();
    return this.count;
  }
}

export async function timeRuns(run: () => Promise<unknown>, budget: Budget, onRun: (i: number) => void): Promise<number[]> {
  const samples: number[] = [];
  let total = 0;
  while (samples.length < budget.minRuns || (total < budget.targetMs && samples.length < budget.maxRuns)) {
    onRun(samples.length + 1);
    const t0 = performance.now();
    await run();
    const ms = performance.now() - t0;
    samples.push(ms);
    total += ms;
  }
  return samples;
}

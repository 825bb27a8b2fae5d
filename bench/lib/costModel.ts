// A roofline cost model of GPU time over dispatch records: *modeled* time, which ranks designs
// on the same device profile; it does not replace a run on a GPU. Figures and their sources:
// bench/README.md, "Modeled GPU time".
//
// One dispatch:  time = max(dispatchS, bytes / bandwidth, flops / (peakFlops · occupancy))
//                occupancy = min(1, workgroups / computeUnits)
// A sequence of dispatches: the sum (each dispatch depends on the previous one: no overlap).
// The ideal of a case: its minimum bytes and FLOPs (idealWork.ts) in one dispatch at full occupancy.
import { type DispatchRecord, totalWork, type Work } from 'webgpu-rnn';

export { totalWork };

export interface DeviceProfile {
  /** Key for --profile output and tables, e.g. 'h200'. */
  name: string;
  /** The part, in words. */
  label: string;
  /**
   * Units a workgroup is scheduled onto, each 128 f32 lanes here: SMs (NVIDIA), GPU cores
   * (Apple), subslices of 16 EUs (Intel Xe-LP). Fewer workgroups than this leave units idle.
   */
  computeUnits: number;
  /** DRAM bandwidth, bytes/s (vendor peak). */
  bandwidth: number;
  /** f32 peak, FLOP/s (vendor peak, FMA = 2 FLOPs, no tensor cores). */
  peakFlops: number;
  /** Floor of one dependent WebGPU dispatch (launch, barrier, drain), seconds: an assumption. */
  dispatchS: number;
}

export const PROFILES: Record<'h200' | 'm2' | 'intel-xe-igpu', DeviceProfile> = {
  // NVIDIA H200 (GH100): 132 SMs; HBM3e 4.8 TB/s; FP32 60 TFLOP/s (H200 NVL; the SXM lists 67).
  h200: { name: 'h200', label: 'NVIDIA H200 (132 SMs, 4.8 TB/s, 60 TFLOP/s f32)', computeUnits: 132, bandwidth: 4.8e12, peakFlops: 60e12, dispatchS: 5e-6 },
  // Apple M2, 10-core GPU: 10 × 128 ALUs × 2 × 1.398 GHz = 3.58 TFLOP/s; LPDDR5-6400 100 GB/s.
  m2: {
    name: 'm2',
    label: 'Apple M2 10-core GPU (10 cores, 100 GB/s, 3.6 TFLOP/s f32)',
    computeUnits: 10,
    bandwidth: 100e9,
    peakFlops: 3.6e12,
    dispatchS: 10e-6,
  },
  // Intel Iris Xe (Tiger Lake i7-1185G7, Xe-LP 96 EU = 6 subslices × 16): 1536 f32 FLOP/clk ×
  // 1.35 GHz = 2.07 TFLOP/s; LPDDR4x-4266 × 128 bit = 68.3 GB/s.
  'intel-xe-igpu': {
    name: 'intel-xe-igpu',
    label: 'Intel Iris Xe 96 EU (6 subslices, 68 GB/s, 2.07 TFLOP/s f32)',
    computeUnits: 6,
    bandwidth: 68.3e9,
    peakFlops: 2.07e12,
    dispatchS: 20e-6,
  },
};

export const PROFILE_LIST: readonly DeviceProfile[] = Object.values(PROFILES);

/** Which bound sets a dispatch's modeled time. */
export type Bound = 'dispatch' | 'bandwidth' | 'compute';

export interface ModeledDispatch {
  seconds: number;
  bound: Bound;
  occupancy: number;
}

export function workgroupCount(r: Pick<DispatchRecord, 'workgroups'>): number {
  return r.workgroups[0] * r.workgroups[1] * r.workgroups[2];
}

/** occupancy = min(1, workgroups / computeUnits); 0 workgroups is no work (occupancy 1). */
export function occupancy(workgroups: number, p: DeviceProfile): number {
  return workgroups <= 0 ? 1 : Math.min(1, workgroups / p.computeUnits);
}

/** max(dispatchS, bytes / bandwidth, flops / (peak · occupancy)) for one dispatch. */
export function modelDispatch(r: Work & { workgroups?: DispatchRecord['workgroups'] }, p: DeviceProfile): ModeledDispatch {
  const occ = r.workgroups ? occupancy(workgroupCount({ workgroups: r.workgroups }), p) : 1;
  const candidates: [number, Bound][] = [
    [p.dispatchS, 'dispatch'],
    [(r.bytesRead + r.bytesWritten) / p.bandwidth, 'bandwidth'],
    [r.flops / (p.peakFlops * occ), 'compute'],
  ];
  const [seconds, bound] = candidates.reduce((a, b) => (b[0] > a[0] ? b : a));
  return { seconds, bound, occupancy: occ };
}

export interface ModeledRun {
  /** Sum of the modeled dispatches, seconds. */
  seconds: number;
  dispatches: number;
  /** Seconds spent in dispatches each bound sets. */
  byBound: Record<Bound, number>;
}

/** The modeled time of a sequence of dependent dispatches: the sum of each one's. */
export function modelRecords(records: readonly DispatchRecord[], p: DeviceProfile): ModeledRun {
  const byBound: Record<Bound, number> = { dispatch: 0, bandwidth: 0, compute: 0 };
  let seconds = 0;
  for (const r of records) {
    const m = modelDispatch(r, p);
    seconds += m.seconds;
    byBound[m.bound] += m.seconds;
  }
  return { seconds, dispatches: records.length, byBound };
}

/** The ideal: the case's minimum work in one dispatch at full occupancy. */
export function modelIdeal(work: Work, p: DeviceProfile): number {
  return modelDispatch(work, p).seconds;
}

/** One row a kernel (DispatchRecord.kernel) of a run: what the --profile table prints. */
export interface KernelSummary {
  kernel: string;
  dispatches: number;
  workgroupsMin: number;
  workgroupsMedian: number;
  flops: number;
  bytes: number;
}

/** Per kernel, in the order each first appears: dispatches, workgroups min / median, FLOPs, bytes. */
export function summarizeByKernel(records: readonly DispatchRecord[]): KernelSummary[] {
  const groups = new Map<string, DispatchRecord[]>();
  for (const r of records) {
    const list = groups.get(r.kernel);
    if (list) list.push(r);
    else groups.set(r.kernel, [r]);
  }
  return [...groups].map(([kernel, list]) => {
    const wg = list.map(workgroupCount).sort((a, b) => a - b);
    const mid = wg.length >> 1;
    const w = totalWork(list);
    return {
      kernel,
      dispatches: list.length,
      workgroupsMin: wg[0],
      workgroupsMedian: wg.length % 2 ? wg[mid] : (wg[mid - 1] + wg[mid]) / 2,
      flops: w.flops,
      bytes: w.bytesRead + w.bytesWritten,
    };
  });
}

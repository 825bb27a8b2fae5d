// Measured GPU time of each compute pass of one run, from timestamp queries ('timestamp-query'),
// beside the modeled time of the same dispatches. WebGPU times passes, not dispatches: a pass
// holds the dispatches one module encodes (a layer's GEMM and its steps, an optimizer update),
// and the table names the kernels each one ran. While `run` runs, every command encoder of the
// device writes a timestamp at the start and end of each of its passes into its own query set,
// resolved before the encoder finishes and read back once the run is done.
import { DispatchLog, type DispatchRecord, type Gpu } from 'webgpu-rnn';
import { modelRecords, PROFILE_LIST } from './costModel.js';

export interface PassTime {
  label: string;
  /** The kernels the pass dispatched, in order of first dispatch. */
  kernels: string[];
  dispatches: number;
  /** GPU time between the pass's two timestamps, ms. */
  measuredMs: number;
  /** Per device profile name: the cost model's time of the pass's dispatches, ms. */
  modeledMs: Record<string, number>;
}

/** Passes one encoder may time (two queries each); passes beyond run untimed. */
const MAX_PASSES = 2048;
const QUERY_RESOLVE = 0x0200;
const COPY_SRC = 0x0004;
const COPY_DST = 0x0008;
const MAP_READ = 0x0001;

interface TimedEncoder {
  querySet: GPUQuerySet;
  resolved?: GPUBuffer;
  readback: GPUBuffer;
  passes: { label: string; records: DispatchRecord[] }[];
}

/** Each pass of `run` timed on the GPU; undefined where the device has no timestamp queries. */
export async function timePasses(gpu: Gpu, run: () => Promise<unknown>): Promise<PassTime[] | undefined> {
  if (!gpu.info.features.includes('timestamp-query')) return undefined;
  const device = gpu.device;
  const log = new DispatchLog();
  /** The encoders that finished (their passes resolved), and every one created. */
  const encoders: TimedEncoder[] = [];
  const created: TimedEncoder[] = [];
  const createEncoder = device.createCommandEncoder;
  device.createCommandEncoder = function (this: GPUDevice, descriptor?: GPUCommandEncoderDescriptor) {
    const encoder = createEncoder.call(this, descriptor);
    const querySet = device.createQuerySet({ type: 'timestamp', count: 2 * MAX_PASSES });
    const timed: TimedEncoder = { querySet, readback: device.createBuffer({ size: 16 * MAX_PASSES, usage: MAP_READ | COPY_DST }), passes: [] };
    created.push(timed);
    const beginPass = encoder.beginComputePass;
    encoder.beginComputePass = function (this: GPUCommandEncoder, pass?: GPUComputePassDescriptor) {
      const index = timed.passes.length;
      if (pass?.timestampWrites || index >= MAX_PASSES) return beginPass.call(this, pass);
      const started = log.records.length;
      const record = { label: pass?.label ?? '(unlabelled)', records: [] as DispatchRecord[] };
      timed.passes.push(record);
      const encoded = beginPass.call(this, {
        ...pass,
        timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * index, endOfPassWriteIndex: 2 * index + 1 },
      });
      const end = encoded.end;
      encoded.end = function (this: GPUComputePassEncoder) {
        record.records = log.records.slice(started);
        end.call(this);
      };
      return encoded;
    };
    const finish = encoder.finish;
    encoder.finish = function (this: GPUCommandEncoder, finishDescriptor?: GPUCommandBufferDescriptor) {
      const count = 2 * timed.passes.length;
      if (count > 0) {
        timed.resolved = device.createBuffer({ size: 8 * count, usage: QUERY_RESOLVE | COPY_SRC });
        this.resolveQuerySet(querySet, 0, count, timed.resolved, 0);
        this.copyBufferToBuffer(timed.resolved, 0, timed.readback, 0, 8 * count);
      }
      encoders.push(timed);
      return finish.call(this, finishDescriptor);
    };
    return encoder;
  } as typeof device.createCommandEncoder;
  const times: PassTime[] = [];
  try {
    await gpu.recordDispatches(log, run);
    await device.queue.onSubmittedWorkDone();
    for (const { readback, passes } of encoders) {
      if (passes.length === 0) continue;
      await readback.mapAsync(MAP_READ);
      const stamps = new BigUint64Array(readback.getMappedRange(), 0, 2 * passes.length);
      passes.forEach((p, i) => {
        times.push({
          label: p.label,
          kernels: [...new Set(p.records.map((r) => r.kernel))],
          dispatches: p.records.length,
          measuredMs: stamps[2 * i + 1] > stamps[2 * i] ? Number(stamps[2 * i + 1] - stamps[2 * i]) / 1e6 : 0,
          modeledMs: Object.fromEntries(PROFILE_LIST.map((profile) => [profile.name, 1e3 * modelRecords(p.records, profile).seconds])),
        });
      });
      readback.unmap();
    }
  } finally {
    device.createCommandEncoder = createEncoder;
    // Every encoder's query set and buffers, finished or not, and whether or not `run` threw.
    for (const { querySet, resolved, readback } of created) {
      querySet.destroy();
      resolved?.destroy();
      readback.destroy();
    }
  }
  return times;
}

/** Passes of the same label and kernels summed (a training run's steps repeat each pass). */
export function summarizePasses(passes: readonly PassTime[]): PassTime[] {
  const byKey = new Map<string, PassTime>();
  for (const p of passes) {
    const key = `${p.label}|${p.kernels.join(',')}`;
    const sum = byKey.get(key);
    if (!sum) byKey.set(key, { ...p, modeledMs: { ...p.modeledMs } });
    else {
      sum.dispatches += p.dispatches;
      sum.measuredMs += p.measuredMs;
      for (const [k, v] of Object.entries(p.modeledMs)) sum.modeledMs[k] += v;
    }
  }
  return [...byKey.values()].sort((a, b) => b.measuredMs - a.measuredMs);
}

// The roofline cost model of bench/ (lib/costModel.ts) and the ideal work of a case
// (lib/idealWork.ts), on hand-computed cases.
import { describe, expect, test } from 'vitest';
import { modelDispatch, modelIdeal, modelRecords, occupancy, PROFILES, summarizeByKernel } from '../../bench/lib/costModel.js';
import { idealForward, idealTrain, weightFloats } from '../../bench/lib/idealWork.js';
import type { DispatchRecord } from '../../src/runtime/dispatchRecord.js';
import { FUNCTION_FLOPS } from '../../src/runtime/dispatchRecord.js';

const h200 = PROFILES.h200;
const record = (kernel: string, workgroups: number, flops: number, bytes: number): DispatchRecord => ({
  kernel,
  workgroups: [workgroups, 1, 1],
  invocations: workgroups * 64,
  flops,
  bytesRead: bytes,
  bytesWritten: 0,
});

describe('roofline per dispatch', () => {
  test('a tiny dispatch costs the dispatch floor', () => {
    expect(modelDispatch(record('k', 1, 10, 10), h200)).toEqual({ seconds: h200.dispatchS, bound: 'dispatch', occupancy: 1 / 132 });
  });

  test('4.8 GB on 4.8 TB/s: 1 ms, bandwidth-bound', () => {
    const m = modelDispatch(record('k', 132, 0, 4.8e9), h200);
    expect(m.bound).toBe('bandwidth');
    expect(m.seconds).toBeCloseTo(1e-3, 12);
  });

  test('occupancy: 66 workgroups on 132 SMs halve the compute rate', () => {
    expect(occupancy(66, h200)).toBe(0.5);
    expect(occupancy(1000, h200)).toBe(1);
    const m = modelDispatch(record('k', 66, 60e9, 0), h200);
    expect(m.bound).toBe('compute');
    expect(m.seconds).toBeCloseTo(2e-3, 12);
  });

  test('a sequence is the sum of its dispatches; per kernel min and median workgroups', () => {
    const records = [record('a', 1, 0, 0), record('a', 3, 0, 0), record('b', 132, 0, 4.8e9), record('a', 8, 0, 0)];
    const run = modelRecords(records, h200);
    expect(run.dispatches).toBe(4);
    expect(run.byBound.dispatch).toBeCloseTo(3 * h200.dispatchS, 15);
    expect(run.seconds).toBeCloseTo(3 * h200.dispatchS + 1e-3, 12);
    expect(summarizeByKernel(records)).toEqual([
      { kernel: 'a', dispatches: 3, workgroupsMin: 1, workgroupsMedian: 3, flops: 0, bytes: 0 },
      { kernel: 'b', dispatches: 1, workgroupsMin: 132, workgroupsMedian: 132, flops: 0, bytes: 4.8e9 },
    ]);
  });
});

describe('ideal work', () => {
  test('LSTM forward B=1 T=1 D=1 H=1', () => {
    // 4 gates × (x + h) multiply-adds = 16 FLOPs, + pointwise 12 + 5 activations.
    // Reads x 1 and the weights 4 + 4 + 4; writes the last h.
    expect(weightFloats('lstm', 1, 1)).toBe(12);
    expect(idealForward({ cell: 'lstm', shape: { B: 1, T: 1, D: 1, H: 1 } })).toEqual({ flops: 16 + 12 + 5 * FUNCTION_FLOPS, bytesRead: 52, bytesWritten: 4 });
  });

  test('one dispatch: the ideal is never above any design of the same case', () => {
    const shape = { B: 32, T: 50, D: 64, H: 128 };
    const ideal = idealTrain({ cell: 'lstm', shape, denseUnits: 1 });
    // The same work spread over T dispatches of 16 workgroups models slower on every profile.
    const perStep = { flops: ideal.flops / shape.T, bytesRead: ideal.bytesRead / shape.T, bytesWritten: ideal.bytesWritten / shape.T };
    const spread: DispatchRecord[] = Array.from({ length: shape.T }, () => ({ kernel: 'step', workgroups: [16, 1, 1], invocations: 1024, ...perStep }));
    for (const p of Object.values(PROFILES)) expect(modelIdeal(ideal, p)).toBeLessThan(modelRecords(spread, p).seconds);
  });
});

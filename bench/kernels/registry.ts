// The kernel micro-benchmarks by kernel name (the shader's file name): `--kernel NAME`.
import { gatherRows, sequenceLayout } from './batchLayout.js';
import { col2imBench, im2colBench } from './conv.js';
import { activationBackwardBench, activationBench, dropoutBench } from './elementwise.js';
import { embeddingGather, embeddingScatterAdd, embeddingSortedGradient } from './embedding.js';
import { gemmBench } from './gemm.js';
import { gruStepBackward, gruStepForward } from './gru.js';
import type { AnyKernelBench } from './harness.js';
import { bidirectionalMerge, bidirectionalMergeBackward, masking, repeatVector } from './layers.js';
import { lossBench } from './loss.js';
import { lstmStepBackward, lstmStepForward } from './lstm.js';
import { gradControl, optimizers } from './optimizers.js';
import { globalPool1d, maxPool1d } from './pooling.js';
import { simpleRnnStepBackward, simpleRnnStepForward } from './simpleRnn.js';
import { beamSelectBench, maskWeightsBench, sampleTokenBench } from './sampling.js';
import { reduceRows, softmaxBench, transpose } from './small.js';

const BENCHES: AnyKernelBench[] = [
  lstmStepForward,
  lstmStepBackward,
  gruStepForward,
  gruStepBackward,
  simpleRnnStepForward,
  simpleRnnStepBackward,
  gemmBench,
  reduceRows,
  transpose,
  softmaxBench,
  lossBench,
  optimizers,
  gradControl,
  embeddingGather,
  embeddingScatterAdd,
  embeddingSortedGradient,
  sampleTokenBench,
  maskWeightsBench,
  beamSelectBench,
  activationBench,
  activationBackwardBench,
  dropoutBench,
  im2colBench,
  col2imBench,
  globalPool1d,
  maxPool1d,
  masking,
  repeatVector,
  bidirectionalMerge,
  bidirectionalMergeBackward,
  sequenceLayout,
  gatherRows,
];

export const KERNEL_BENCHES: ReadonlyMap<string, AnyKernelBench> = new Map(BENCHES.map((b) => [b.name, b]));

// The CPU oracle: plain Float64 loops with the GPU path's signatures.
export { cpuTensor as tensor, type CpuTensor } from './tensor.js';
export { sequential, layers, ReferenceSequential, type ReferenceLayer } from './sequential.js';
export { ReferenceDense } from './dense.js';
export { ReferenceEmbedding, embeddingForward, embeddingBackward } from './embedding.js';
export { ReferenceDropout } from './dropout.js';
export { dropoutMask, dropoutHash, dropoutThreshold, pcgHash } from '../init/dropoutMask.js';
export { sampleToken, type SamplingRule, type SampledToken } from './sampling.js';
export { beamStep, type BeamState, type BeamStep } from './beamSearch.js';
export { samplingUniform } from '../init/samplingStream.js';
export { lstmBackward, lstmForwardTrain, denseForward, denseBackward } from './backward.js';
export { ReferenceLstm, lstmForward, type LstmWeights, type LstmForwardResult } from './lstm.js';
export { gemm, lstmStep, activate, type Activation, type GemmShape } from './math.js';
export { Random } from '../init/random.js';
export { initialize, orthogonal, type InitializerName } from '../init/initializers.js';
export { ReferenceGru, gruForwardTrain, gruBackward, gruStep, type GruWeights, type GruCache } from './gru.js';
export { ReferenceBidirectional, type ReferenceMergeMode } from './bidirectional.js';
export { ReferenceSimpleRnn, simpleRnnForwardTrain, simpleRnnBackward, simpleRnnStep, type SimpleRnnWeights } from './simpleRnn.js';
export { ReferenceConv1d, conv1dForward, conv1dBackward, im2col, col2im } from './conv1d.js';
export { ReferenceMaxPooling1d, maxPool1dForward, maxPool1dBackward } from './maxPooling1d.js';
export {
  ReferenceActivation,
  ReferenceFlatten,
  ReferenceRepeatVector,
  ReferenceGlobalAveragePooling1d,
  ReferenceGlobalMaxPooling1d,
} from './shapeLayers.js';
export { transpose, gatherRows, stepMask } from './layout.js';

// webgpu-rnn: recurrent networks trained and run on the GPU through WebGPU.
export { createDevice, Gpu, type CreateDeviceOptions, type DeviceInfo, type DeviceLimits, type AdapterChoice } from './runtime/device.js';
export { tensor, Tensor, type TensorData, type NestedArray } from './runtime/tensor.js';
export { RnnError, ShapeError, NonFiniteError, LimitError, DeviceError, KernelError } from './runtime/errors.js';
export { sequential, Sequential } from './lstm/sequential.js';
export { Layer, type WeightValue } from './lstm/layer.js';
export { Lstm } from './lstm/lstm.js';
export { Dense } from './lstm/dense.js';
export type { LstmConfig, DenseConfig, RegularizerConfig } from './lstm/config.js';
export { TrainingError, type CompileArgs, type FitArgs, type FitCallbacks, type History, type Logs } from './lstm/training.js';
export type { OptimizerSpec, OptimizerName, OptimizerConfig } from './lstm/optimizerConfig.js';
export type { LossName, MetricName } from './kernels/loss.js';
export * as layers from './lstm/layers.js';
export * as reference from './reference/index.js';
export { Tokenizer, textToWordSequence, DEFAULT_FILTERS, type TokenizerOptions, type TokenizerJSON, type TextInput, type TextToWordSequenceOptions } from './data/text.js';
export { padSequences, padSequencesFlat, toCategorical, slidingWindows, trainTestSplit, type PadSequencesOptions, type ShapedData, type SlidingWindowsOptions, type Windows } from './data/sequence.js';

// webgpu-rnn: recurrent networks trained and run on the GPU through WebGPU.
export { createDevice, type CreateDeviceOptions, type AdapterChoice } from './runtime/createDevice.js';
export type { PowerPreference } from './runtime/webgpuGlobals.js';
export { Gpu, type DeviceInfo, type DeviceLimits, type MemoryReport } from './runtime/device.js';
export { Tuner, type TuneMode, type TuneRecord } from './runtime/tuner.js';
export { DispatchLog, type DispatchRecord, totalWork, type Work } from './runtime/dispatchRecord.js';
export { tensor, Tensor, type TensorData, type NestedArray } from './runtime/tensor.js';
export { RnnError, ShapeError, NonFiniteError, LimitError, DeviceError, KernelError, DisposedError } from './spec/errors.js';
export { OptionError } from './spec/options.js';
export { sequential, Sequential, type PredictArgs } from './model/sequential.js';
export { generate, type GenerateOptions, type GenerateBatchOptions } from './model/generate.js';
export { earlyStopping, EarlyStopping, type EarlyStoppingOptions, type Callback, type CallbackModel } from './model/callbacks.js';
export {
  learningRateScheduler,
  LearningRateScheduler,
  reduceLROnPlateau,
  ReduceLROnPlateau,
  type ReduceLROnPlateauOptions,
  modelCheckpoint,
  ModelCheckpoint,
  type ModelCheckpointOptions,
} from './model/scheduleCallbacks.js';
export type { PrintFn } from './model/summary.js';
export { Layer, type WeightValue } from './layers/layer.js';
export { Lstm } from './lstm/lstm.js';
export { Dense } from './layers/dense.js';
export { Conv1d } from './layers/conv1d.js';
export { MaxPooling1d } from './layers/maxPooling1d.js';
export type { Conv1dConfig, ConvPadding, MaxPooling1dConfig, Padding } from './spec/convConfig.js';
export { Gru } from './lstm/gru.js';
export { SimpleRnn } from './lstm/simpleRnn.js';
export { RecurrentLayer } from './lstm/recurrent.js';
export { Bidirectional, type BidirectionalConfig, type MergeMode } from './lstm/bidirectional.js';
export type { GruConfig, SimpleRnnConfig } from './spec/recurrentConfig.js';
export { Embedding, checkTokenIds, type EmbeddingConfig } from './layers/embedding.js';
export { Dropout, SpatialDropout1d, type DropoutConfig } from './layers/dropout.js';
export { Masking, type MaskingConfig } from './layers/masking.js';
export { Activation } from './layers/activation.js';
export { Flatten, RepeatVector } from './layers/reshape.js';
export { GlobalAveragePooling1d, GlobalMaxPooling1d } from './layers/globalPooling1d.js';
export type { ActivationConfig, LayerActivation, RepeatVectorConfig, ShapeLayerConfig } from './spec/shapeConfig.js';
export { TimeDistributed, type StepwiseLayer, type TimeDistributedConfig } from './layers/timeDistributed.js';
export type { LstmConfig, DenseConfig, RegularizerConfig } from './spec/config.js';
export { TrainingError, type CompileArgs, type FitArgs, type FitCallbacks, type History, type Logs } from './model/training.js';
export type { EvaluateArgs } from './model/trainingTypes.js';
export type { Weighting } from './model/sampleWeights.js';
export type { OptimizerSpec, OptimizerName, OptimizerConfig } from './spec/optimizerConfig.js';
export type { LossName, MetricName } from './kernels/loss.js';
export type { LossSpec, MetricSpec, SnakeCase } from './spec/losses.js';
export { loadEncoderDecoder } from './io/encoderDecoderIo.js';
export {
  saveModel,
  loadModel,
  loadWeights,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  type ModelJson,
  type ModelArtifacts,
  type ModelSource,
  type SaveTarget,
  type SaveHandler,
  type SavedLayer,
  type WeightEntry,
} from './io/io.js';
export { ModelFormatError, ModelIOError } from './spec/ioErrors.js';
export { listIndexedDbModels, removeIndexedDbModel } from './io/ioHandlers.js';
export { registerLayerType, type LayerType, type JsonConfig } from './io/layerRegistry.js';
export { KerasConfigReader, type KerasLayerContext } from './io/kerasConfig.js';
export { loadKerasModel, type KerasSource } from './io/kerasFile.js';
export { importTfjsModel, type TfjsModelJson, type TfjsModelArtifacts, type TfjsShards, type TfjsWeightSpec } from './io/importers.js';
export { exportOnnx, type ExportOnnxOptions } from './io/onnxExport.js';
export { importOnnx } from './io/onnxFile.js';
export { importPytorchLstm, importPytorchGru, onnxLstmToKeras, pytorchLinearToDense, type StateDict, type PytorchRnnOptions } from './io/pytorch.js';
export { readSafetensors, readSafetensorsFile, readSafetensorsHeader, type SafetensorsHeader, type SafetensorsEntry } from './io/safetensors.js';
export * as layers from './model/layers.js';
export * as reference from './reference/index.js';
export {
  Tokenizer,
  textToWordSequence,
  DEFAULT_FILTERS,
  type TokenizerOptions,
  type TokenizerJSON,
  type TextInput,
  type TextToWordSequenceOptions,
} from './data/text.js';
export {
  padSequences,
  padSequencesFlat,
  toCategorical,
  slidingWindows,
  trainTestSplit,
  type PadSequencesOptions,
  type ShapedData,
  type SlidingWindowsOptions,
  type SplitOptions,
  type Windows,
} from './data/sequence.js';
export { sampleIndex, argmax } from './data/sampling.js';
export { Random } from './init/random.js';
export { setSeed } from './spec/seed.js';
export {
  encoderDecoder,
  EncoderDecoder,
  EncoderDecoderLayer,
  type EncoderDecoderConfig,
  type EncoderDecoderLayerConfig,
  type DecodeOptions,
  type SequencePair,
  type EncoderDecoderFitArgs,
} from './model/encoderDecoder.js';
export {
  gridSearch,
  parameterGrid,
  formatGridTable,
  type ParamGrid,
  type GridParams,
  type GridSearchArgs,
  type GridResult,
  type GridSearchResult,
} from './model/gridSearch.js';

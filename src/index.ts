// webgpu-rnn: recurrent networks trained and run on the GPU through WebGPU.
export { createDevice, Gpu, type CreateDeviceOptions, type DeviceInfo, type DeviceLimits, type AdapterChoice } from './runtime/device.js';
export { tensor, Tensor, type TensorData, type NestedArray } from './runtime/tensor.js';
export { RnnError, ShapeError, NonFiniteError, LimitError, DeviceError, KernelError } from './runtime/errors.js';
export { sequential, Sequential } from './lstm/sequential.js';
export { Layer, type WeightValue } from './lstm/layer.js';
export { Lstm } from './lstm/lstm.js';
export type { LstmConfig } from './lstm/config.js';
export * as layers from './lstm/layers.js';
export * as reference from './reference/index.js';

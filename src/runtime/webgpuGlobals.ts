// The WebGPU and DOM names the package's declarations mention, as empty global interfaces, so
// that a consumer type-checks without DOM or @webgpu/types (lib ES2022, skipLibCheck off):
// there they are opaque. Where @webgpu/types or lib DOM is loaded, each merges with the full
// interface of the same name and adds nothing. Keep to interfaces (an alias cannot merge).
declare global {
  interface GPUAdapter {}
  interface GPUBindGroup {}
  interface GPUBindGroupLayout {}
  interface GPUBuffer {}
  interface GPUBufferBinding {}
  interface GPUCommandEncoder {}
  interface GPUComputePassEncoder {}
  interface GPUComputePipeline {}
  interface GPUDevice {}
  interface Blob {}
}

/** GPURequestAdapterOptions.powerPreference, spelt out (the WebGPU name is an alias). */
export type PowerPreference = 'low-power' | 'high-performance';

// A pool of GPU buffers keyed by (byte size, usage). Released buffers are handed out again to
// the next request of the same key, so a steady-state forward or training step creates none.
//
// Invariant: a buffer released here may still be read or written by command buffers already
// submitted. That is safe because every later use is submitted to the same queue after them.

export class BufferPool {
  private readonly free = new Map<string, GPUBuffer[]>();
  /** Buffers created since the pool was made: a test counts it to prove steady state. */
  created = 0;
  /** Bytes in buffers created by this pool and not destroyed. */
  bytesAllocated = 0;

  constructor(private readonly device: GPUDevice) {}

  /** A buffer of at least `byteLength` bytes (rounded up to 16) with exactly `usage`. */
  acquire(byteLength: number, usage: number, label?: string): GPUBuffer {
    const size = roundUp(Math.max(byteLength, 16), 16);
    const key = `${size}:${usage}`;
    const buffer = this.free.get(key)?.pop();
    if (buffer) return buffer;
    this.created++;
    this.bytesAllocated += size;
    return this.device.createBuffer({ size, usage, label });
  }

  release(buffer: GPUBuffer): void {
    const key = `${buffer.size}:${buffer.usage}`;
    let list = this.free.get(key);
    if (!list) this.free.set(key, (list = []));
    list.push(buffer);
  }

  /** Destroys every free buffer (those held by live tensors stay). */
  trim(): void {
    for (const list of this.free.values()) {
      for (const buffer of list) {
        this.bytesAllocated -= buffer.size;
        buffer.destroy();
      }
    }
    this.free.clear();
  }
}

export function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}

// A pool of GPU buffers keyed by (byte size, usage). Released buffers are handed out again to
// the next request of the same key, so a steady-state forward or training step creates none.
//
// Invariant: a buffer released here may still be read or written by command buffers already
// submitted. That is safe because every later use is submitted to the same queue after them.

import { RnnError } from '../spec/errors.js';

/** What a pool holds: buffers waiting to be handed out again, and all it created. */
export interface PoolStats {
  /** Buffers in the pool, free for the next request of their size and usage. */
  freeBuffers: number;
  freeBytes: number;
  /** Bytes in buffers created by the pool and not destroyed (free or in use). */
  allocatedBytes: number;
  /** Buffers created since the pool was made. */
  created: number;
}

export class BufferPool {
  private readonly free = new Map<string, GPUBuffer[]>();
  /** The buffers now in `free`: a second release of one is refused. */
  private readonly isFree = new Set<GPUBuffer>();
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
    if (buffer) {
      this.isFree.delete(buffer);
      return buffer;
    }
    this.created++;
    this.bytesAllocated += size;
    return this.device.createBuffer({ size, usage, label });
  }

  /**
   * Hands `buffer` back for reuse. Releasing it again before it is acquired anew would let two
   * owners share it (and bind it twice as writable), so that throws and changes nothing.
   */
  release(buffer: GPUBuffer): void {
    if (this.isFree.has(buffer)) {
      throw new RnnError(`Buffer "${buffer.label}" (${buffer.size} bytes) was released to the pool twice: this is a bug in webgpu-rnn, please report it.`);
    }
    this.isFree.add(buffer);
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
    this.isFree.clear();
  }

  stats(): PoolStats {
    let freeBytes = 0;
    for (const buffer of this.isFree) freeBytes += buffer.size;
    return { freeBuffers: this.isFree.size, freeBytes, allocatedBytes: this.bytesAllocated, created: this.created };
  }
}

export function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}

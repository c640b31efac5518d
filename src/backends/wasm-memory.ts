/**
 * The JavaScript-side allocator of the WebAssembly backend's linear memory.
 *
 * The module is built with AssemblyScript's stub runtime, which never frees, and its kernels allocate nothing:
 * they work on raw pointers handed to them. So the loader owns every byte from the module's heap base up: a
 * first-fit free list with coalescing, grown with `memory.grow` when nothing fits. Wasm memory cannot shrink,
 * so freed blocks are kept for reuse: a long series of fits of one size settles on one block.
 *
 * Every size is checked in plain Number arithmetic (exact up to 2^53) against the heap's cap — the 4 GiB limit of
 * a 32-bit memory, or a smaller `maxBytes` (a memory budget, e.g. for a 128 MB edge isolate) — before anything
 * is touched, and failures are RangeErrors that name the sizes.
 */
import { internalError, rangeError } from '../errors.js';

/** Bytes of one WebAssembly page. */
const PAGE = 65536;
/** A 32-bit memory holds at most 2^16 pages = 4 GiB. */
const MAX_BYTES = 2 ** 32;
/** Alignment (and granularity) of every block: one cache line, which also covers v128 and f64. */
const ALIGN = 64;
/** Smallest growth step, so that many small allocations do not grow memory one page at a time. */
const MIN_GROW_PAGES = 16;

interface FreeBlock {
  start: number;
  size: number;
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${bytes} bytes (${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]})`;
}

export class WasmHeap {
  readonly #memory: WebAssembly.Memory;
  /** Free blocks, sorted by start, never adjacent (adjacent ones are merged). */
  readonly #free: FreeBlock[] = [];
  /** Size of every live block, by start. */
  readonly #live = new Map<number, number>();
  /** First byte the heap manages and one past the last (= memory size after the last grow we saw). */
  readonly #base: number;
  #end: number;
  /** Most bytes the linear memory may grow to, and what to call that limit in errors. */
  readonly #maxBytes: number;
  readonly #limitName: string;

  /**
   * `maxBytes` caps the linear memory (default and at most 4 GiB); `limitName` says in errors where a smaller cap
   * comes from (e.g. "maxMemoryBytes"), so the caller knows what to raise.
   */
  constructor(memory: WebAssembly.Memory, heapBase: number, maxBytes = MAX_BYTES, limitName = 'maxMemoryBytes') {
    if (!Number.isInteger(maxBytes) || maxBytes < 0 || maxBytes > MAX_BYTES) {
      throw rangeError(
        'NMFKIT_INVALID_VALUE',
        `nmfkit wasm: the memory cap must be an integer number of bytes in [0, 2^32], got ${maxBytes}`,
      );
    }
    this.#base = Math.ceil(heapBase / ALIGN) * ALIGN;
    const floor = Math.max(memory.buffer.byteLength, this.#base);
    if (maxBytes < floor) {
      throw rangeError(
        'NMFKIT_INVALID_VALUE',
        `nmfkit wasm: the memory cap ${limitName} = ${formatBytes(maxBytes)} is below the ${formatBytes(floor)} ` +
          'of linear memory the module already has or needs for its own data',
      );
    }
    this.#memory = memory;
    this.#end = Math.max(this.#base, memory.buffer.byteLength);
    this.#maxBytes = maxBytes;
    this.#limitName = limitName;
    if (this.#end > this.#base) this.#free.push({ start: this.#base, size: this.#end - this.#base });
  }

  /** The cap on linear memory in bytes (4 GiB when none was set). */
  get maxBytes(): number {
    return this.#maxBytes;
  }

  /** Bytes below the heap (the module's static data and stack): they count against the cap too. */
  get baseBytes(): number {
    return this.#base;
  }

  /** Bytes a block of `bytes` bytes takes in the heap. */
  static blockBytes(bytes: number): number {
    return Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
  }

  /** The limit, as error messages name it after "more than". */
  limitText(): string {
    return this.#maxBytes === MAX_BYTES
      ? 'the 4 GiB a 32-bit WebAssembly memory can hold'
      : `the cap of ${formatBytes(this.#maxBytes)} on WebAssembly memory (${this.#limitName})`;
  }

  /** Bytes of linear memory currently reserved (the memory's size). */
  get memoryBytes(): number {
    return this.#memory.buffer.byteLength;
  }

  /** Bytes currently handed out (rounded up to the block granularity). */
  get liveBytes(): number {
    let total = 0;
    for (const size of this.#live.values()) total += size;
    return total;
  }

  /**
   * A block of at least `bytes` bytes, 64-byte aligned, contents unspecified. `what` names the allocation in
   * errors. Throws a RangeError, before touching memory, when the size is not a finite non-negative number,
   * when the memory would exceed 4 GiB, or when the runtime refuses to grow it.
   */
  alloc(bytes: number, what: string): number {
    if (!Number.isFinite(bytes) || bytes < 0 || !Number.isInteger(bytes)) {
      throw rangeError('NMFKIT_INVALID_VALUE', `nmfkit wasm: invalid size ${bytes} for ${what}`);
    }
    const size = WasmHeap.blockBytes(bytes);
    if (size > this.#maxBytes - this.#base) {
      throw rangeError('NMFKIT_TOO_LARGE', `nmfkit wasm: ${what} needs ${formatBytes(bytes)}, more than ${this.limitText()}`);
    }
    let index = this.#firstFit(size);
    if (index < 0) {
      this.#grow(size, bytes, what);
      index = this.#firstFit(size);
      if (index < 0) throw internalError('nmfkit wasm: allocator invariant broken after grow');
    }
    const block = this.#free[index]!;
    const start = block.start;
    if (block.size === size) this.#free.splice(index, 1);
    else {
      block.start += size;
      block.size -= size;
    }
    this.#live.set(start, size);
    return start;
  }

  /** Returns a block from {@link alloc} to the free list, merging it with free neighbours. */
  free(start: number): void {
    const size = this.#live.get(start);
    if (size === undefined) throw internalError(`nmfkit wasm: free of unknown block ${start}`);
    this.#live.delete(start);
    this.#insertFree(start, size);
  }

  #firstFit(size: number): number {
    const free = this.#free;
    for (let i = 0; i < free.length; i++) if (free[i]!.size >= size) return i;
    return -1;
  }

  #insertFree(start: number, size: number): void {
    const free = this.#free;
    // Binary search for the first block after `start`.
    let lo = 0;
    let hi = free.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (free[mid]!.start < start) lo = mid + 1;
      else hi = mid;
    }
    const prev = lo > 0 ? free[lo - 1]! : undefined;
    const next = lo < free.length ? free[lo]! : undefined;
    if (prev && prev.start + prev.size === start) {
      prev.size += size;
      if (next && prev.start + prev.size === next.start) {
        prev.size += next.size;
        free.splice(lo, 1);
      }
    } else if (next && start + size === next.start) {
      next.start = start;
      next.size += size;
    } else {
      free.splice(lo, 0, { start, size });
    }
  }

  /** Grows the memory so that a block of `size` bytes fits at its end (extending a free block that ends there). */
  #grow(size: number, requested: number, what: string): void {
    const memoryBytes = this.#memory.buffer.byteLength;
    // Someone else may have grown the memory since we last looked: take that space first.
    if (memoryBytes > this.#end) {
      this.#insertFree(this.#end, memoryBytes - this.#end);
      this.#end = memoryBytes;
      if (this.#firstFit(size) >= 0) return;
    }
    const last = this.#free[this.#free.length - 1];
    const start = last && last.start + last.size === this.#end ? last.start : this.#end;
    const requiredEnd = start + size;
    const maxPages = Math.floor(this.#maxBytes / PAGE);
    if (requiredEnd > maxPages * PAGE) {
      throw rangeError(
        'NMFKIT_TOO_LARGE',
        `nmfkit wasm: ${what} needs ${formatBytes(requested)}; with ${formatBytes(this.liveBytes)} of linear ` +
          `memory in use by other fits (${formatBytes(memoryBytes)} reserved), that exceeds ${this.limitText()}`,
      );
    }
    const currentPages = memoryBytes / PAGE;
    const neededPages = Math.ceil((requiredEnd - memoryBytes) / PAGE);
    const pages = Math.min(maxPages - currentPages, Math.max(neededPages, MIN_GROW_PAGES));
    try {
      this.#memory.grow(pages);
    } catch (cause) {
      let grown = false;
      if (pages > neededPages) {
        try {
          this.#memory.grow(neededPages);
          grown = true;
        } catch {
          // reported below
        }
      }
      if (!grown) {
        throw rangeError(
          'NMFKIT_TOO_LARGE',
          `nmfkit wasm: ${what} needs ${formatBytes(requested)}, but the runtime refused to grow linear memory ` +
            `from ${formatBytes(memoryBytes)} by ${formatBytes(neededPages * PAGE)}`,
          { cause },
        );
      }
    }
    const newEnd = this.#memory.buffer.byteLength;
    this.#insertFree(this.#end, newEnd - this.#end);
    this.#end = newEnd;
  }
}

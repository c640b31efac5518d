/**
 * Reading the wasm module from a file: URL with a size cap, for both entries where the runtime is Node. The module
 * is well under 1 MiB; a URL that names something else — /dev/zero, a FIFO, a huge file — is refused once
 * {@link MAX_WASM_BYTES} have been read, instead of being read without end (6 GiB of RSS before it was stopped).
 * fs is reached through `process.getBuiltinModule`, not an import, so the WebAssembly-only entry's module graph
 * stays free of Node built-ins.
 */
import { fetchWasmModule } from '../backends/wasm-web.js';
import { MAX_WASM_BYTES, wasmTooLarge } from '../backends/wasm-size.js';
import { compileWasmModuleAsync } from '../backends/wasm.js';
import { plainError } from '../errors.js';

export { MAX_WASM_BYTES, WASM_SIZE_CODE } from '../backends/wasm-size.js';

const CHUNK = 2 ** 20;

interface Fs {
  openSync(path: URL, flags: string): number;
  readSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: null): number;
  closeSync(fd: number): void;
  promises: {
    open(
      path: URL,
      flags: string,
    ): Promise<{
      read(buffer: Uint8Array, offset: number, length: number, position: null): Promise<{ bytesRead: number }>;
      close(): Promise<void>;
    }>;
  };
}

/** Node's fs where the runtime has it (Node ≥ 20.16, Deno, Bun), else undefined. */
export function nodeFs(): Fs | undefined {
  try {
    const get = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule;
    return typeof get === 'function' ? (get('node:fs') as Fs | undefined) : undefined;
  } catch {
    return undefined;
  }
}

/** The chunks read so far as one array, or the refusal once they exceed the cap. */
class Collected {
  readonly chunks: Uint8Array[] = [];
  total = 0;

  constructor(private readonly url: URL) {}

  add(chunk: Uint8Array, count: number): void {
    this.total += count;
    if (this.total > MAX_WASM_BYTES) throw wasmTooLarge(this.url);
    this.chunks.push(chunk.subarray(0, count));
  }

  bytes(): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(this.total);
    let at = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }
}

/** Reads the file at `url` (at most {@link MAX_WASM_BYTES}); `cannotRead` words a file system error. */
export function readWasmFileSync(fs: Fs, url: URL, cannotRead: (cause: unknown) => Error): Uint8Array<ArrayBuffer> {
  let fd: number;
  try {
    fd = fs.openSync(url, 'r');
  } catch (cause) {
    throw cannotRead(cause);
  }
  try {
    const collected = new Collected(url);
    for (;;) {
      const chunk = new Uint8Array(CHUNK);
      let count: number;
      try {
        count = fs.readSync(fd, chunk, 0, CHUNK, null);
      } catch (cause) {
        throw cannotRead(cause);
      }
      if (count === 0) return collected.bytes();
      collected.add(chunk, count);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** {@link readWasmFileSync}, off the calling thread. */
export async function readWasmFile(fs: Fs, url: URL, cannotRead: (cause: unknown) => Error): Promise<Uint8Array<ArrayBuffer>> {
  let file: Awaited<ReturnType<Fs['promises']['open']>>;
  try {
    file = await fs.promises.open(url, 'r');
  } catch (cause) {
    throw cannotRead(cause);
  }
  try {
    const collected = new Collected(url);
    for (;;) {
      const chunk = new Uint8Array(CHUNK);
      let count: number;
      try {
        count = (await file.read(chunk, 0, CHUNK, null)).bytesRead;
      } catch (cause) {
        throw cannotRead(cause);
      }
      if (count === 0) return collected.bytes();
      collected.add(chunk, count);
    }
  } finally {
    await file.close();
  }
}

/** Compiles the module at `url`: a file: URL read with the size cap where there is fs, anything else fetched. */
export async function compileCapped(url: URL): Promise<WebAssembly.Module> {
  const fs = nodeFs();
  if (url.protocol !== 'file:' || !fs) return fetchWasmModule(url);
  const cannotRead = (cause: unknown): Error =>
    plainError('NMFKIT_BACKEND_UNAVAILABLE', `nmfkit: cannot read the WebAssembly backend at ${url.href}`, { cause });
  return compileWasmModuleAsync(await readWasmFile(fs, url, cannotRead));
}

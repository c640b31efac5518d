/**
 * ready({ url }) reads a file: or an http: URL with a size cap on both entries: a file far larger than any wasm module (a
 * sparse 256 MiB file) and /dev/zero (endless; once 6 GiB of RSS before it was stopped) are refused with an error
 * naming the URL (and a stable code where ready() rejects with it), after at most the cap has been read; so is
 * an endless http response and one that declares a length over the cap. Child processes with a deadline.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { closeSync, mkdtempSync, openSync, rmSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ENTRIES = { node: '../../dist/index.js', 'wasm-only': '../../dist/browser.js' } as const;

let dir: string;
let sparse: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nmfkit-wasm-url-'));
  sparse = join(dir, 'huge.wasm');
  const fd = openSync(sparse, 'w');
  ftruncateSync(fd, 256 * 2 ** 20);
  closeSync(fd);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function readyProgram(entry: keyof typeof ENTRIES, url: string): string {
  return `
    const m = await import(${JSON.stringify(new URL(ENTRIES[entry], import.meta.url).href)});
    let out;
    // The Node entry's ready() resolves when the native backend loaded; the wasm failure is then in backendInfo().
    try { await m.ready({ url: ${JSON.stringify(url)} }); out = { message: m.backendInfo().wasm.reason ?? 'loaded' }; }
    catch (e) { out = { code: e.code, message: e.message }; }
    out.rssMiB = process.memoryUsage().rss / 2 ** 20;
    console.log(JSON.stringify(out));
  `;
}

function readyWith(entry: keyof typeof ENTRIES, url: string): { code?: string; message?: string; rssMiB: number } {
  const program = readyProgram(entry, url);
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', program], { encoding: 'utf8', timeout: 30_000 })) as never;
}

/** The same, asynchronously, so that a server in this process can answer the child. */
async function readyWithAsync(entry: keyof typeof ENTRIES, url: string): Promise<{ code?: string; message?: string; rssMiB: number }> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', readyProgram(entry, url)], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return JSON.parse(stdout) as never;
}

// /endless: a chunked body without end; /declared: a Content-Length of 1 GB (and then the same endless body).
let server: Server;
let base: string;
beforeAll(async () => {
  const chunk = Buffer.alloc(2 ** 20);
  server = createServer((request, response) => {
    const headers: Record<string, string> = { 'content-type': 'application/wasm' };
    if (request.url === '/declared') headers['content-length'] = String(2 ** 30);
    response.writeHead(200, headers);
    const pump = (): void => {
      while (response.write(chunk)) if (response.destroyed) return;
      response.once('drain', pump);
    };
    response.on('error', () => undefined);
    request.socket.on('close', () => response.destroy());
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function refused(entry: keyof typeof ENTRIES, got: { code?: string; message?: string }, url: string): void {
  expect(got.message).toContain(`${url} is not the WebAssembly backend: it holds more than 32 MiB`);
  if (entry === 'wasm-only' || got.code !== undefined) expect(got.code).toBe('NMFKIT_WASM_TOO_LARGE');
}

describe.each(Object.keys(ENTRIES) as (keyof typeof ENTRIES)[])('ready({ url }) size cap, %s entry', (entry) => {
  it('a 256 MiB file is refused', () => {
    const url = pathToFileURL(sparse).href;
    const got = readyWith(entry, url);
    refused(entry, got, url);
    expect(got.rssMiB).toBeLessThan(200);
  });

  it('file:///dev/zero is refused', () => {
    const got = readyWith(entry, 'file:///dev/zero');
    refused(entry, got, 'file:///dev/zero');
    expect(got.rssMiB).toBeLessThan(200);
  });

  it.each(['/endless', '/declared'])('an http response %s is refused', async (path) => {
    const url = `${base}${path}`;
    const got = await readyWithAsync(entry, url);
    refused(entry, got, url);
    expect(got.rssMiB).toBeLessThan(300);
  });
});

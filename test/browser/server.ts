/**
 * A tiny static file server for the real-browser tests: serves the package's dist/ and wasm/ and this folder
 * from 127.0.0.1 on a free port, with the MIME types a browser insists on (text/javascript for module scripts,
 * application/wasm for streaming compilation).
 *
 * Variants, chosen by the URL:
 *  - `/isolated/…` serves the same files with COOP/COEP headers, so the page is cross-origin isolated and has
 *    SharedArrayBuffer (the wasm pool then stops fits through a shared flag instead of time-budgeted runs);
 *  - `?type=octet` serves a file as application/octet-stream (a server that does not know .wasm: the loader must
 *    fall back from compileStreaming to compiling the bytes);
 *  - `/noworker/…` serves the same files but answers 404 for the Web Worker script (a deployment that lost it).
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** Folders of the package root that may be served. */
const SERVED = ['dist', 'wasm', join('test', 'browser')];

export interface StaticServer {
  /** e.g. http://127.0.0.1:41234 */
  readonly origin: string;
  /** Paths requested so far (for assertions about what was fetched). */
  readonly requests: string[];
  close(): Promise<void>;
}

export async function startStaticServer(root: string): Promise<StaticServer> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(url.pathname + url.search);
    let path = decodeURIComponent(url.pathname);
    const isolated = path.startsWith('/isolated/');
    if (isolated) path = path.slice('/isolated'.length);
    const noWorker = path.startsWith('/noworker/');
    if (noWorker) path = path.slice('/noworker'.length);
    const relative = normalize(path).replace(/^[/\\]+/, '');
    const file = join(root, relative);
    const allowed = SERVED.some((dir) => relative.startsWith(dir + sep)) && !relative.split(sep).includes('..');
    let size = -1;
    try {
      const stat = statSync(file);
      if (stat.isFile()) size = stat.size;
    } catch {
      // not found below
    }
    if (!allowed || size < 0 || (noWorker && path.endsWith('/wasm-web-worker.js'))) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${url.pathname}`);
      return;
    }
    const headers: Record<string, string | number> = {
      'content-type':
        url.searchParams.get('type') === 'octet' ? 'application/octet-stream' : (MIME[extname(file)] ?? 'application/octet-stream'),
      'content-length': size,
      'cache-control': 'no-store',
    };
    if (isolated) {
      headers['cross-origin-opener-policy'] = 'same-origin';
      headers['cross-origin-embedder-policy'] = 'require-corp';
    }
    res.writeHead(200, headers);
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

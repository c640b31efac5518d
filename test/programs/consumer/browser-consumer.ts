// A browser consumer of the installed declarations (bundler resolution, DOM, no Node types: the WebAssembly-only
// entry's types), type-checked by test/packaging/packaging.test.ts with tsconfig.browser.json; never run.
import {
  backendInfo,
  DEFAULT_MAX_MEMORY_BYTES,
  nmf,
  nmfSync,
  ready,
  setThreads,
  type BackendInfo,
  type NmfResult,
  type ReadyOptions,
} from 'nmfkit';
import wasm from 'nmfkit/nmfkit.wasm';
const options: ReadyOptions = { module: wasm, maxMemoryBytes: 2 * DEFAULT_MAX_MEMORY_BYTES, workers: false };
await ready(options);
const r: NmfResult = nmfSync(
  [
    [1, 2],
    [3, 4],
  ],
  { rank: 1 },
);
const a: Promise<NmfResult> = nmf([[1, 2]], { rank: 1, signal: new AbortController().signal });
const info: BackendInfo = backendInfo();
const entry: 'wasm-only' = info.entry;
const mode: 'web-worker' | 'inline' = info.threads.mode;
const teams: boolean = info.threads.teams;
setThreads({ fits: 2 });
// @ts-expect-error there are no BLAS threads in the WebAssembly-only entry
setThreads({ blasThreads: 2 });
export { r, a, entry, mode, teams };

// A Node consumer of the installed declarations (nodenext: the Node entry's types), type-checked by
// test/packaging/packaging.test.ts with tsconfig.node.json; never run.
import {
  backendInfo,
  nmf,
  nmfBatch,
  nmfSync,
  ready,
  setThreads,
  type BackendInfo,
  type NmfOptions,
  type NmfResult,
  type ReadyOptions,
} from 'nmfkit';
await ready();
// The Node entry takes the same ready() options as the WebAssembly-only one.
const readyOptions: ReadyOptions = { maxMemoryBytes: 2 ** 28, workers: true };
await ready(readyOptions);
const options: NmfOptions = { rank: 2, seed: 1, maxIter: 10, signal: AbortSignal.timeout(1000) };
const r: NmfResult = nmfSync(
  [
    [1, 2],
    [3, 4],
  ],
  options,
);
const a: Promise<NmfResult> = nmf({ rows: 1, cols: 2, data: new Float64Array([1, 2]) }, { rank: 1 });
const b: Promise<NmfResult[]> = nmfBatch([[[1]]], { rank: 1 });
const info: BackendInfo = backendInfo();
const entry: 'node' = info.entry;
const pool: number = info.threads.libuvPool;
setThreads({ fits: 2, blasThreads: 1 });
// @ts-expect-error a typo in an option name is an error
nmfSync([[1]], { rank: 1, maxiter: 3 });
export { r, a, b, entry, pool };

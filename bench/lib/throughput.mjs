// The throughput line (nmfBatch): many small fits — 2,000 matrices 64×64, rank 4, 100 iterations,
// tolerance off — through the public API: `nmfBatch` (when src/index.ts exports it) vs sequential `await nmf()`
// vs `nmfSync`, on both backends. Reported as fits per second (whole calls: validation, init, iterations, finish).
import { generateData } from './problems.mjs';

export const THROUGHPUT = { count: 2000, quickCount: 100, K: 64, N: 64, R: 4, iterations: 100 };

function matrices(count, K, N) {
  const out = [];
  for (let i = 0; i < count; i++) {
    const { V } = generateData({ name: `throughput-${i}`, K, N, R: 1 });
    out.push({ rows: K, cols: N, data: V });
  }
  return out;
}

const MODES = [
  {
    id: 'nmfBatch',
    available: (api) => typeof api.nmfBatch === 'function',
    run: (api, list, options) => api.nmfBatch(list, options),
  },
  {
    id: 'await nmf',
    available: (api) => typeof api.nmf === 'function',
    run: async (api, list, options) => {
      const results = [];
      for (const V of list) results.push(await api.nmf(V, options));
      return results;
    },
  },
  {
    id: 'nmfSync',
    available: (api) => typeof api.nmfSync === 'function',
    run: async (api, list, options) => list.map((V) => api.nmfSync(V, options)),
  },
];

export async function runThroughput(api, backendInfo, quick) {
  const { K, N, R, iterations } = THROUGHPUT;
  const count = quick ? THROUGHPUT.quickCount : THROUGHPUT.count;
  const list = matrices(count, K, N);
  const warm = list.slice(0, Math.min(20, count));
  const rows = [];
  for (const backend of ['native', 'wasm']) {
    const loaded = backendInfo[backend]?.loaded;
    for (const mode of MODES) {
      const row = { mode: mode.id, backend, count, K, N, rank: R, iterations };
      if (!mode.available(api)) {
        rows.push({ ...row, status: 'n/a', note: `${mode.id} is not exported by nmfkit (dist/index.js) in this build` });
        continue;
      }
      if (!loaded) {
        rows.push({ ...row, status: 'n/a', note: `${backend} backend not available` });
        continue;
      }
      const options = { rank: R, maxIter: iterations, tol: 0, seed: 1, backend };
      try {
        await mode.run(api, warm, options);
        const t0 = performance.now();
        const results = await mode.run(api, list, options);
        const seconds = (performance.now() - t0) / 1000;
        const bad = results.findIndex((r) => r.iterations !== iterations);
        if (results.length !== count || bad >= 0)
          throw new Error(`result ${bad} ran ${results[bad]?.iterations} of ${iterations} iterations`);
        rows.push({ ...row, status: 'ok', seconds, fitsPerSecond: count / seconds, msPerFit: (seconds * 1000) / count });
      } catch (error) {
        rows.push({ ...row, status: 'error', note: String(error?.message ?? error).split('\n')[0] });
      }
    }
  }
  return { description: `${count} matrices ${K}×${N}, rank ${R}, ${iterations} iterations, tol 0, through the public API`, rows };
}

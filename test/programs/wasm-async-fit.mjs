// One async fit on wasm (worker threads), for test/reliability/faults.test.ts: run by a node started with V8 and
// process flags, or given as `--input-type=module -e` source, both of which a worker thread would inherit and refuse.
// Prints the number of iterations (tol 0: always maxIter, whatever the random initialisation).
import { nmf } from 'nmfkit';

const r = await nmf(
  [
    [1, 2],
    [3, 4],
  ],
  { rank: 1, maxIter: 3, tol: 0, backend: 'wasm' },
);
console.log(r.iterations);

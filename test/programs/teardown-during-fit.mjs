// An async fit torn down while it runs, for test/reliability/teardown.test.ts. argv: mode, backend.
//   terminate    a worker thread runs nmf() and the main thread terminates it 300 ms in
//   exit-worker  a worker thread runs nmf() and calls process.exit() 300 ms in
//   exit-main    the main thread runs nmf() and calls process.exit() 300 ms in
//   throw-main   the main thread runs nmf() and throws an uncaught exception 300 ms in
// The fit is a 1025×2000 rank-32 V for 100,000 iterations: it would run for minutes. Prints "torn down" and exits
// 0 when the process survives (a crash aborts it with code 134); the test bounds how long the teardown took.
import { Worker } from 'node:worker_threads';

const [mode, backend] = process.argv.slice(2);
// Resolved here: code evaluated in a worker or by new Function resolves bare names against the working directory.
const entry = import.meta.resolve('nmfkit');
const fit = `
  const { nmf } = await import('${entry}');
  const K = 1025, N = 2000;
  const V = { rows: K, cols: N, data: Float64Array.from({ length: K * N }, (_, i) => ((i * 7919) % 1000) / 1000) };
  const pending = nmf(V, { rank: 32, maxIter: 100000, tol: 0, stop: 'none', backend: '${backend}' });
`;

if (mode === 'terminate' || mode === 'exit-worker') {
  const source = `${fit}
    const { parentPort } = await import('node:worker_threads');
    parentPort.postMessage('running');
    ${mode === 'exit-worker' ? 'setTimeout(() => process.exit(0), 300);' : ''}
    await pending;`;
  const worker = new Worker(`(async () => { ${source} })()`, { eval: true });
  await new Promise((resolve) => worker.once('message', resolve));
  if (mode === 'terminate') {
    await new Promise((resolve) => setTimeout(resolve, 300));
    await worker.terminate();
  } else {
    await new Promise((resolve) => worker.once('exit', resolve));
  }
  console.log('torn down');
} else {
  const start = new Function(`return (async () => { ${fit} return pending; })()`);
  const pending = start();
  setTimeout(() => {
    console.log('torn down');
    if (mode === 'exit-main') process.exit(0);
    throw new Error('uncaught, on purpose');
  }, 300);
  await pending;
}

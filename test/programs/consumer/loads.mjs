// `LOAD_LOG=<file> node --import ./load-hook.mjs loads.mjs <package>`: imports the package (nmfkit: and runs a fit
// on the calling thread and one off it), then prints every module the process loaded: the ES modules ./load-hook.mjs
// recorded and the CommonJS files in require.cache. test/packaging/packaging.test.ts checks that nmfkit loads none of
// the audio package's dependencies.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const name = process.argv[2];
const loaded = await import(name);
if (name === 'nmfkit') {
  const V = [
    [1, 2, 3],
    [4, 5, 6],
  ];
  loaded.nmfSync(V, { rank: 1, maxIter: 5 });
  await loaded.nmf(V, { rank: 1, maxIter: 5 });
}
const esm = readFileSync(process.env.LOAD_LOG, 'utf8').split('\n').filter(Boolean);
const cjs = Object.keys(createRequire(import.meta.url).cache).map((path) => pathToFileURL(path).href);
console.log(JSON.stringify({ modules: [...new Set([...esm, ...cjs])] }));

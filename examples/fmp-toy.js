// The toy matrix of Müller's FMP notebook on NMF (Sect. 8.3.1): 5 "frequency" rows × 8 "time" columns, built
// from two patterns. Factorized at rank 2 with max-normalised templates, then printed.
import { backendInfo, nmfSync } from 'nmfkit';

const V = [
  [0, 1, 2, 3, 4, 5, 6, 7],
  [0, 1, 2, 3, 3, 2, 1, 0],
  [0, 0, 0, 0, 0, 0, 0, 0],
  [7, 0, 0, 0, 0, 0, 0, 0],
  [0, 7, 6, 5, 4, 3, 2, 1],
];

const started = performance.now();
const result = nmfSync(V, { rank: 2, maxIter: 100, tol: 1e-3, normalize: 'max', seed: 0 });
const elapsed = performance.now() - started;

const format = (x) => x.toFixed(3).padStart(7);
function print(title, { rows, cols, data }) {
  console.log(`${title} (${rows}×${cols})`);
  for (let i = 0; i < rows; i++) console.log(' ', Array.from(data.subarray(i * cols, (i + 1) * cols), format).join(''));
  console.log();
}

const info = backendInfo();
console.log(
  `nmfkit: V ≈ W·H on the FMP toy matrix, rank 2, backend ${result.backend}` +
    (info.native.loaded ? ` (${info.native.blas.vendor} ${info.native.blas.version})` : ` (native not loaded: ${info.native.reason})`),
);
console.log();
print('V', { rows: 5, cols: 8, data: Float64Array.from(V.flat()) });
print('W: templates, columns max-normalised', result.W);
print('H: activations', result.H);
print('W·H', result.reconstruct());
console.log(
  `iterations ${result.iterations} (${result.stopReason}), ‖V − WH‖₂ = ${result.spectralError.toFixed(4)}, ` +
    `‖V − WH‖_F = ${result.frobeniusError.toFixed(4)}, seed ${result.seed}, ${elapsed.toFixed(1)} ms`,
);

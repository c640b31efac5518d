// Helpers of the browser test page shared by the page (harness.js) and its worker (fit-worker.js): plain JS,
// no imports, so both can load it.

/** A result as plain data. */
export function plain(r) {
  return {
    backend: r.backend,
    iterations: r.iterations,
    converged: r.converged,
    stopReason: r.stopReason,
    seed: r.seed,
    W: Array.from(r.W.data),
    H: Array.from(r.H.data),
    hChange: Array.from(r.hChange),
    wChange: Array.from(r.wChange),
    spectralError: r.spectralError,
    frobeniusError: r.frobeniusError,
    objective: r.objective,
    objectiveHistory: Array.from(r.objectiveHistory.values),
    restartObjectives: Array.from(r.restartObjectives),
  };
}

/** The fit a libfmp fixture describes: its V, rank, tolerance, iteration limit, initial factors and normalisation. */
export function optionsOf(f) {
  return {
    rank: f.input.rank,
    maxIter: f.input.maxIter,
    tol: f.input.thresh,
    W: f.input.W0,
    H: f.input.H0,
    normalize: f.input.norm ? 'max' : 'none',
  };
}

/** An error as plain data. */
export function failure(error) {
  return { name: error?.name, message: error?.message, ctor: error?.constructor?.name };
}

/** A seeded U[0,1) matrix that is the same in every run (xorshift; not nmfkit's generator). */
export function noise(rows, cols, seed) {
  const data = new Float64Array(rows * cols);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    data[i] = s / 2 ** 32;
  }
  return { rows, cols, data };
}

// How every JavaScript-side row is timed. bench/peers.py implements the same policy for the Python peers.
//
//   1. warm-up: a probe run of ceil(n/10) iterations (JIT, page faults, BLAS thread start-up), and, when the
//      probe predicts a full run under FULL_WARMUP_LIMIT seconds, one full run of n iterations;
//   2. repeats: r = clamp(floor(budget / predicted full run), minRepeats, maxRepeats) runs of n iterations, each
//      from the same W0/H0 (fresh state, set up outside the timed region);
//   3. the figure is the median of the r timings, divided by n.

/** Full mode: at least 3 timings, at most 5, about 2 s of timing per row. Quick: 1–3 timings, ~0.3 s. */
export const POLICIES = {
  full: { budget: 2, minRepeats: 3, maxRepeats: 5, fullWarmupLimit: 2 },
  quick: { budget: 0.3, minRepeats: 1, maxRepeats: 3, fullWarmupLimit: 0.5 },
};

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : 0.5 * (sorted[mid - 1] + sorted[mid]);
}

/**
 * Times `runOnce(iterations)`, which must return the seconds its iterations took (setup and checks outside the
 * timed region are the caller's business). Returns the timings and the median seconds per iteration.
 */
export async function measure(runOnce, n, policy) {
  const probeIterations = Math.max(1, Math.ceil(n / 10));
  const probe = await runOnce(probeIterations);
  let predicted = (probe / probeIterations) * n;
  let warmups = 1;
  if (predicted < policy.fullWarmupLimit) {
    predicted = await runOnce(n);
    warmups = 2;
  }
  const repeats = Math.min(policy.maxRepeats, Math.max(policy.minRepeats, Math.floor(policy.budget / Math.max(predicted, 1e-9))));
  const seconds = [];
  for (let i = 0; i < repeats; i++) seconds.push(await runOnce(n));
  const med = median(seconds);
  return { iterations: n, warmups, repeats, seconds, secondsPerIteration: med / n, minSecondsPerIteration: Math.min(...seconds) / n };
}

/** performance.now() in seconds around a synchronous call. */
export function timeSync(fn) {
  const t0 = performance.now();
  fn();
  return (performance.now() - t0) / 1000;
}

/**
 * One whole nmfSync call of `iterations` (stop 'none') timed: { seconds, loop, result }, loop = the loop alone from
 * onIteration timestamps, (t_n − t_1) / (n − 1) seconds per iteration.
 */
export function timedCall(api, V, options, iterations) {
  let first = 0;
  let last = 0;
  const onIteration = ({ iteration }) => {
    last = performance.now();
    if (iteration === 1) first = last;
  };
  const t0 = performance.now();
  const result = api.nmfSync(V, { ...options, maxIter: iterations, onIteration });
  const seconds = (performance.now() - t0) / 1000;
  if (result.iterations !== iterations) throw new Error(`ran ${result.iterations} of ${iterations} iterations with stop 'none'`);
  return { seconds, loop: (last - first) / 1000 / (iterations - 1), result };
}

/**
 * How many threads a fit's team has, per backend (FitSpec.threads; docs/kernels.md, "Teams"). Both backends split
 * each product and update of an iteration over the team (native: threads; wasm: workers on a shared memory); each split costs a hand-over to the other
 * threads, so a fit whose iteration is short stays on one thread. The crossover was measured on the native
 * kernels (PERFORMANCE.md).
 */
import type { FitSpec } from '../spec.js';

/** K·N·R below which an iteration is too short to split (about 1 ms of products on one core). */
const TEAM_MIN_WORK = 2 ** 21;

type Sizes = Pick<FitSpec, 'rows' | 'cols' | 'rank' | 'solver'>;

/** The native backend: `wanted` when asked for explicitly; else `wanted`, or 1 for a fit too small to split. */
export function nativeTeamSize(s: Sizes, wanted: number, explicit: boolean): number {
  if (explicit) return wanted;
  return s.rows * s.cols * s.rank < TEAM_MIN_WORK ? 1 : Math.max(1, wanted);
}

/**
 * The WebAssembly backend: the same rule. A team needs the threaded module and shared memory (Node worker threads,
 * a cross-origin isolated page); without them a fit of any team size runs on its one worker.
 */
export function wasmTeamSize(s: Sizes, wanted: number, explicit: boolean): number {
  return nativeTeamSize(s, wanted, explicit);
}

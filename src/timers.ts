/**
 * Timing helpers that behave the same in every runtime.
 *
 * A timeout for any delay. setTimeout holds at most 2^31 − 1 ms (about 24.8 days): Node fires a longer delay
 * after 1 ms, with a TimeoutOverflowWarning, and browsers wrap it the same way. A budget longer than that is
 * waited for in steps of at most that long, so that 1e300 ms means "no limit in practice" rather than "1 ms".
 */

/** The longest delay one setTimeout honours. */
export const MAX_TIMER_DELAY = 2 ** 31 - 1;

/** Calls `callback` once, after `ms` milliseconds (any number; not finite or past: as soon as possible). Returns a cancel function. */
export function setLongTimeout(callback: () => void, ms: number): () => void {
  const due = performance.now() + Math.max(0, ms);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = (): void => {
    const left = due - performance.now();
    if (left > MAX_TIMER_DELAY) {
      timer = setTimeout(arm, MAX_TIMER_DELAY);
      unrefTimer(timer);
    } else {
      timer = setTimeout(callback, Math.max(0, left));
    }
  };
  if (Number.isNaN(due)) timer = setTimeout(callback, 0);
  else if (due !== Infinity) arm();
  return () => clearTimeout(timer);
}

/**
 * Intermediate steps keep no process alive by themselves: a fit that waits on them is kept alive by its own work,
 * and nothing else is waiting for a step.
 */
function unrefTimer(timer: ReturnType<typeof setTimeout>): void {
  (timer as { unref?: () => void }).unref?.();
}

/**
 * Resolves after the event loop had a turn: through a MessageChannel where there is one (a task, not clamped to
 * 4 ms like nested timers are in browsers), else a zero timeout.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof MessageChannel === 'function') {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(null);
    } else {
      setTimeout(resolve, 0);
    }
  });
}

/**
 * Pauses of work done on the calling thread in pieces (a batch's reading of its list, rank estimation's measures):
 * `now()` yields to the event loop (a macrotask) once `sliceMs` have passed since the last yield, else resolves at
 * once, so a long computation holds the event loop at most about that long at a time.
 */
export class EventLoopPause {
  readonly #sliceMs: number;
  #since = performance.now();

  constructor(sliceMs = 10) {
    this.#sliceMs = sliceMs;
  }

  /** Whether the slice is used up (then `now()` would yield). */
  get due(): boolean {
    return performance.now() - this.#since >= this.#sliceMs;
  }

  async now(): Promise<void> {
    if (!this.due) return;
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    this.#since = performance.now();
  }
}

/**
 * Progress and cancellation for the CLI: a `cli-progress` bar on a terminal (iteration, the two change norms,
 * an upper bound of the time left — the fit may stop earlier at its tolerance), nothing when stderr is piped;
 * Ctrl-C aborts the running fit through an AbortSignal (a second Ctrl-C exits at once).
 */
import cliProgress from 'cli-progress';
import type { IterationInfo } from 'nmfkit';
import { plainError } from 'nmfkit/validation';

/** Reports the iterations of fits. */
export interface FitProgress {
  /** Pass as `onIteration` (undefined when there is no bar: the fit then runs without a per-iteration callback). */
  readonly onIteration: ((info: IterationInfo) => void) | undefined;
  /** Starts a bar for a fit of at most `total` iterations. */
  start(label: string, total: number): void;
  /** Ends the current bar. */
  stop(): void;
}

const NO_PROGRESS: FitProgress = { onIteration: undefined, start() {}, stop() {} };

/** A progress bar on `stream` if it is a terminal and `enabled`, otherwise a silent stand-in. */
export function createProgress(enabled: boolean, stream: NodeJS.WriteStream = process.stderr): FitProgress {
  if (!enabled || !stream.isTTY) return NO_PROGRESS;
  let bar: cliProgress.SingleBar | undefined;
  return {
    onIteration(info: IterationInfo): void {
      bar?.update(info.iteration, { dh: info.hChange.toExponential(2), dw: info.wChange.toExponential(2) });
    },
    start(label: string, total: number): void {
      bar?.stop();
      bar = new cliProgress.SingleBar(
        {
          stream,
          format: `${label} [{bar}] {value}/{total} it | ‖ΔH‖ {dh} ‖ΔW‖ {dw} | ETA ≤ {eta_formatted}`,
          barsize: 24,
          hideCursor: true,
          clearOnComplete: true,
          fps: 10,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(Math.max(1, total), 0, { dh: '–', dw: '–' });
    },
    stop(): void {
      bar?.stop();
      bar = undefined;
    },
  };
}

/**
 * Aborts `controller` on the first Ctrl-C (SIGINT); a second one exits with 130 at once. Returns a function that
 * removes the handler.
 */
export function cancelOnInterrupt(controller: AbortController, onCancel: () => void): () => void {
  const handler = (): void => {
    if (controller.signal.aborted) process.exit(130);
    onCancel();
    controller.abort(plainError('NMFKIT_ABORTED', 'interrupted (Ctrl-C)'));
  };
  process.on('SIGINT', handler);
  return () => process.off('SIGINT', handler);
}

/**
 * Progress and cancellation for the CLI: a `cli-progress` bar on a terminal (iteration, the two change norms,
 * an upper bound of the time left — the fit may stop earlier at its tolerance), nothing when stderr is piped;
 * while a large input file is read (16 MiB or more), a bar of its bytes on a terminal, one line when piped.
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
  /** Reports the reading of input files (undefined: nothing is shown). */
  readonly reading?: ReadProgress;
  /** Starts a bar of the samples of a stream fit (`total` undefined: not known before the file has been read). */
  startStream(label: string, total: number | undefined): void;
  /** A stream fit has taken chunk `chunk` (from 0): `samples` seen so far, the chunk's cost. */
  onChunk(chunk: number, samples: number, cost: number): void;
}

/** Reports the reading of one file at a time. */
export interface ReadProgress {
  /** A file of `bytes` bytes is being read. */
  start(path: string, bytes: number): void;
  /** `read` bytes of it have been read. */
  advance(read: number): void;
  /** Its reading has ended. */
  stop(): void;
}

/** Inputs from this size on are large enough that their reading is shown (parsing them takes seconds). */
export const LARGE_INPUT_BYTES = 16 * 2 ** 20;

const NO_PROGRESS: FitProgress = { onIteration: undefined, start() {}, stop() {}, startStream() {}, onChunk() {} };

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** One line on a stream that is not a terminal (a log keeps it). */
function readingLine(stream: NodeJS.WriteStream): ReadProgress {
  return {
    start(path, bytes) {
      if (bytes >= LARGE_INPUT_BYTES) stream.write(`nmfkit: reading ${path} (${megabytes(bytes)})…\n`);
    },
    advance() {},
    stop() {},
  };
}

/** A bar of the bytes read, on a terminal. */
function readingBar(stream: NodeJS.WriteStream): ReadProgress {
  let bar: cliProgress.SingleBar | undefined;
  return {
    start(path, bytes) {
      bar?.stop();
      bar = undefined;
      if (bytes < LARGE_INPUT_BYTES) return;
      const format = `reading ${path.replaceAll('{', '(').replaceAll('}', ')')} [{bar}] {percentage}% of ${megabytes(bytes)} | ETA {eta_formatted}`;
      bar = new cliProgress.SingleBar(
        { stream, format, barsize: 24, hideCursor: true, clearOnComplete: true, fps: 10 },
        cliProgress.Presets.shades_classic,
      );
      bar.start(bytes, 0);
    },
    advance(read) {
      bar?.update(read);
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}

/**
 * A progress bar on `stream` if it is a terminal and `enabled`; when it is not a terminal, only a line for each
 * large input; when not `enabled` (--quiet), nothing.
 */
export function createProgress(enabled: boolean, stream: NodeJS.WriteStream = process.stderr): FitProgress {
  if (!enabled) return NO_PROGRESS;
  if (!stream.isTTY) return { ...NO_PROGRESS, reading: readingLine(stream) };
  let bar: cliProgress.SingleBar | undefined;
  return {
    reading: readingBar(stream),
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
    startStream(label: string, total: number | undefined): void {
      bar?.stop();
      const counts = total === undefined ? '{value} samples' : '[{bar}] {value}/{total} samples';
      bar = new cliProgress.SingleBar(
        {
          stream,
          format: `${label} ${counts} | chunk {chunk} | cost {cost}`,
          barsize: 24,
          hideCursor: true,
          clearOnComplete: true,
          fps: 10,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(Math.max(1, total ?? 1), 0, { chunk: '–', cost: '–' });
    },
    onChunk(chunk: number, samples: number, cost: number): void {
      bar?.update(samples, { chunk: chunk + 1, cost: cost.toExponential(3) });
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

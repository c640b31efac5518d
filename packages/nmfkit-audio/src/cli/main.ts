/**
 * The `nmfkit` command line (parsed with `commander`): `nmfkit demo`, `nmfkit drums` and `nmfkit factorize`. `run(argv)`
 * returns the exit code instead of exiting, so it can be tested in-process; `bin/nmfkit.js` calls it.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { codeOf } from 'nmfkit/validation';
import { WINDOW_NAMES, type WindowName } from '../audio/window.js';
import type { DemoSummary } from './demo.js';
import { CancelledError, EXIT_INPUT, EXIT_OK, EXIT_USAGE, InputError, UsageError } from './errors.js';
import { FIT_FLAGS } from './fit-flags.js';
import type { FactorizeFlags, FactorizeSummary } from './factorize.js';
import { formatCents } from './format.js';
import type { OnlineFlags, OnlineSummary } from './online.js';
import { MATRIX_FORMATS } from './matrix-io.js';
import { cancelOnInterrupt, createProgress } from './progress.js';
import { table } from './table.js';

/** Where the CLI writes. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WriteStream;
}

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function integer(name: string, min: number, max = Infinity) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isSafeInteger(n) || n < min || n > max) {
      const range = max === Infinity ? `≥ ${min}` : `in [${min}, ${max}]`;
      throw new InvalidArgumentError(`${name} must be an integer ${range}, got ${JSON.stringify(value)}.`);
    }
    return n;
  };
}

function number(name: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min)
      throw new InvalidArgumentError(`${name} must be a number ≥ ${min}, got ${JSON.stringify(value)}.`);
    return n;
  };
}

/** --out: a folder; '' would silently mean the current folder. */
function outFolder(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError(`--out must name a folder, got ${JSON.stringify(value)}.`);
  return value;
}

/** --target: a MIDI pitch number (0–127) or a pitch name such as C5, F#4, F♯4 or Bb3 (C4 = 60). */
export function pitchValue(value: string): number {
  const trimmed = value.trim();
  const n = Number(trimmed);
  if (trimmed !== '' && Number.isInteger(n) && n >= 0 && n <= 127) return n;
  const m = /^([A-Ga-g])([#♯b♭]?)(-?\d+)$/.exec(trimmed);
  if (m) {
    const base = { c: 0, d: 2, e: 4, f: 5, g: 7, a: 9, b: 11 }[m[1]!.toLowerCase() as 'c']!;
    const shift = m[2] === '#' || m[2] === '♯' ? 1 : m[2] === 'b' || m[2] === '♭' ? -1 : 0;
    const pitch = 12 * (Number(m[3]) + 1) + base + shift;
    if (pitch >= 0 && pitch <= 127) return pitch;
  }
  throw new InvalidArgumentError(`--target must be a MIDI pitch (0–127) or a pitch name such as C5 or F#4, got ${JSON.stringify(value)}.`);
}

/** A file argument: '' would name no file. */
function fileArgument(flag: string) {
  return (value: string): string => {
    if (value.trim() === '') throw new InvalidArgumentError(`${flag} must name a file, got ${JSON.stringify(value)}.`);
    return value;
  };
}

function powerOfTwo(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 4 || n > 2 ** 20 || (n & (n - 1)) !== 0) {
    throw new InvalidArgumentError(`--n-fft must be a power of two in [4, 1048576], got ${JSON.stringify(value)}.`);
  }
  return n;
}

const FACTORIZE_HELP = `
Input formats (chosen by the file extension), for V and for --w, --h and --mask:
  .csv, .tsv    numbers, one matrix row per line; blank lines and lines starting with # are skipped
  .json         {"rows": K, "cols": N, "data": [row-major numbers]} or [[row 1], [row 2], ...]
  .npy          a 2-D NumPy array (C or Fortran order, little-endian) of float32, float64 or integers
                (int8 … int64, uint8 … uint64; a 64-bit value float64 cannot hold exactly is refused)
  .wav          V only: a WAV file (PCM 8/16/24/32-bit or float, channels mixed down), factorized as
                its spectrogram log(1 + γ|STFT|) with --n-fft, --hop, --log γ and --window
Every entry must be finite and ≥ 0 (a mask's in [0, 1]); with --mask, V may hold NaN (JSON: null)
where the mask is 0. Messages count lines, rows and columns from 1.

--w and --h give the initial factors (the rank then defaults to their size); --fix-w / --fix-h keep
that factor as given and learn the other one. Their shapes are checked against V.

Outputs in --out: W and H (in the input's format, CSV for WAV input, or --format), summary.json,
and unless --no-figures factors.png (W, H, W·H, V) and errors.png (changes per iteration).
--json prints the summary to stdout instead of the human-readable report.

The fit options (--loss, --solver, --init, --l1-w … --l2-h, --stop, --error-every, --restarts,
--dtype, --threads) are handed to nmf() only when given (otherwise nmf's defaults apply). A value or
a combination of flags that is not supported is a usage error (exit code 2); one that does not
suit the data (--init nndsvd with a rank above min(rows, cols)) is bad input (exit code 1).

A progress bar is drawn on stderr when it is a terminal (not when piped, or with --quiet); reading
an input of 16 MiB or more shows a bar on a terminal, one line otherwise. Ctrl-C cancels cleanly
and writes nothing; with --keep-partial it stops after the iteration under way and writes W, H and
summary.json as they are then (no figures). A second Ctrl-C exits at once.

--online reads V a chunk of samples at a time (.csv, .tsv, .npy, or .mtx: Matrix Market coordinate
real/integer/pattern general) into nmfkit's nmfStream, for files larger than memory: --batch-size
samples per chunk (default 1024), --forget-factor (default 0.7), --epochs passes over the file
(default 1). --samples columns (default) reads the file as V, features × samples, as without
--online; --samples rows reads it as Vᵀ, one sample per line or row — the layout for a large CSV,
read in one pass (with samples in columns each chunk costs a pass over the file). A .mtx file's
entries must be grouped by sample in increasing order. W is written after the fit; H by a second
pass, a chunk at a time. No figures; --w, --h, --mask, --fix-w, --fix-h, --keep-partial are not taken.
Exit codes: 0 success, 1 bad input, 2 usage error, 130 cancelled.`;

const DEMO_HELP = `
Factorizes the piano recording shipped with nmfkit-audio (examples/data/piano-scale.wav: a C-major
scale C4–C5 up and down, then the chords C–E–G, F–A–C, G–B–D), or your own (--audio x.wav --score
x.mid, or a JSON note list): unsupervised NMF with one component per distinct pitch, then
score-informed NMF from the note list. Prints each template's estimated pitch; transcription scores
(frame and note level) of the score-informed fit, its initialisation alone and the unsupervised fit;
and the separation of one pitch (--target, C5 by default) scored against its ground truth (the
shipped C5 stem, or --truth: a WAV of the target's notes alone) with BSS-Eval v3 (SDR, SIR, SAR) and
SI-SDR, beside the ideal ratio mask and the unseparated mixture. Writes the figures, the separated
pitch (e.g. C5.wav, residual.wav) and summary.json to --out.
Exit codes: 0 success, 1 bad input, 2 usage error, 130 cancelled.`;

/** Runs the CLI on `argv` (without the node and script paths) and returns the exit code. */
export async function run(argv: readonly string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let outcome = EXIT_OK;
  const print = (text: string): void => {
    io.stdout.write(`${text}\n`);
  };
  const controller = new AbortController();

  const program = new Command()
    .name('nmfkit')
    .description('Nonnegative matrix factorization V ≈ W·H (Lee–Seung multiplicative updates, as libfmp), with audio tools.')
    .version(version(), '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      // commander's own messages ('error: unknown option …') get the prefix of every other error.
      outputError: (s, write) => write(s.replace(/^error: /, 'nmfkit: error: ')),
    })
    .showHelpAfterError('(run with --help for usage)')
    .allowExcessArguments(false);

  program
    .command('demo')
    .description('run the showcase on the embedded piano recording and write its figures')
    .option('-o, --out <dir>', 'output folder', outFolder, 'nmfkit-demo')
    .option('--max-iter <n>', 'most iterations of each fit', integer('--max-iter', 0), 1000)
    .option('--seed <n>', 'seed of the unsupervised fit', integer('--seed', 0), 0)
    .addOption(new Option('--backend <name>', 'compute backend').choices(['auto', 'native', 'wasm']))
    .option('--json', 'print the summary as JSON to stdout')
    .option('--no-figures', 'skip the PNG figures')
    .option('-q, --quiet', 'no progress bar and no report')
    .option('--audio <file>', 'a WAV recording to analyse instead of the shipped one (with --score)', fileArgument('--audio'))
    .option('--score <file>', "the recording's notes: a MIDI file (.mid) or a JSON note list", fileArgument('--score'))
    .option('--target <pitch>', 'the pitch to separate: MIDI number or name (default C5; the highest for --score)', pitchValue)
    .option('--truth <file>', "a WAV of the target pitch's notes alone, to score the separation against", fileArgument('--truth'))
    .addHelpText('after', DEMO_HELP)
    .action(
      async (flags: {
        out: string;
        maxIter: number;
        seed: number;
        backend?: 'auto' | 'native' | 'wasm';
        json?: boolean;
        figures: boolean;
        quiet?: boolean;
        audio?: string;
        score?: string;
        target?: number;
        truth?: string;
      }) => {
        const progress = createProgress(!flags.quiet, io.stderr);
        const release = cancelOnInterrupt(controller, () => progress.stop());
        try {
          const log = flags.json || flags.quiet ? () => {} : print;
          // The commands load their audio and drawing code on demand: --help, --version and usage errors stay fast.
          const { demo } = await import('./demo.js');
          const summary: DemoSummary = await demo(
            {
              out: flags.out,
              maxIter: flags.maxIter,
              seed: flags.seed,
              figures: flags.figures,
              ...(flags.backend ? { backend: flags.backend } : {}),
              ...pick(flags, ['audio', 'score', 'target', 'truth']),
            },
            progress,
            controller.signal,
            log,
          );
          if (flags.json) print(JSON.stringify(summary, null, 2));
        } finally {
          release();
        }
      },
    );

  program
    .command('drums')
    .description('separate the shipped drum pattern with NMFD and with plain NMF, scored against its rendered stems')
    .option('-o, --out <dir>', 'output folder (summary.json)', outFolder, 'nmfkit-drums')
    .option('--seed <n>', 'seed of the plain NMF fit', integer('--seed', 0), 0)
    .addOption(new Option('--backend <name>', 'compute backend').choices(['auto', 'native', 'wasm']))
    .option('--json', 'print the summary as JSON to stdout')
    .option('-q, --quiet', 'no report')
    .action(async (flags: { out: string; seed: number; backend?: 'auto' | 'native' | 'wasm'; json?: boolean; quiet?: boolean }) => {
      const { drums } = await import('./drums.js');
      const summary = await drums(
        { out: flags.out, seed: flags.seed, ...(flags.backend ? { backend: flags.backend } : {}) },
        controller.signal,
        flags.json || flags.quiet ? () => {} : print,
      );
      if (flags.json) print(JSON.stringify(summary, null, 2));
    });

  program
    .command('factorize')
    .description('factorize a matrix file or the spectrogram of a WAV file')
    .argument('<input>', 'a .csv, .tsv, .json, .npy or .wav file (with --online: .csv, .tsv, .npy or .mtx)')
    .option('-r, --rank <R>', 'number of components (required unless --w or --h gives it)', integer('--rank', 1))
    .option('--max-iter <n>', 'most iterations (default 1000)', integer('--max-iter', 0))
    .option('--tol <x>', 'tolerance of the stop rule (default 1e-3)', number('--tol', 0))
    .addOption(
      new Option('--normalize <mode>', "rescale W's learned columns to maximum / sum / norm 1 (default none)").choices([
        'none',
        'max',
        'l1',
        'l2',
      ]),
    )
    .option('--seed <n>', 'seed of the random initialisation', integer('--seed', 0))
    .addOption(new Option('--backend <name>', 'compute backend (default auto)').choices(['auto', 'native', 'wasm']))
    .option('--max-time <ms>', 'time budget of the fit in milliseconds', number('--max-time', 0))
    .option('--loss <name>', 'euclidean, kl, is, or a number β (default euclidean)', lossValue)
    .addOption(new Option('--solver <name>', 'mu (multiplicative updates) or hals (Euclidean only) (default mu)').choices(['mu', 'hals']))
    .addOption(
      new Option('--init <method>', 'initialisation when W/H are not given (default random)').choices([
        'random',
        'random-scaled',
        'nndsvd',
        'nndsvda',
        'nndsvdar',
      ]),
    )
    .option('--l1-w <x>', 'L1 penalty on W', number('--l1-w', 0))
    .option('--l2-w <x>', 'L2 penalty on W', number('--l2-w', 0))
    .option('--l1-h <x>', 'L1 penalty on H', number('--l1-h', 0))
    .option('--l2-h <x>', 'L2 penalty on H', number('--l2-h', 0))
    .addOption(
      new Option('--stop <rule>', 'stop rule: change, objective or none (default change)').choices(['change', 'objective', 'none']),
    )
    .option(
      '--error-every <n>',
      'evaluate the objective every n iterations (default 1 for Euclidean without mask, else 10)',
      integer('--error-every', 1),
    )
    .option('--restarts <n>', 'runs from seeds seed, seed+1, …; keep the lowest objective', integer('--restarts', 1))
    .addOption(new Option('--dtype <name>', 'compute precision (default float64)').choices(['float64', 'float32']))
    .option('--threads <n>', 'threads of the fit on the native backend, 1–256 (default: from the cores)', integer('--threads', 1, 256))
    .option('--w <file>', 'initial W (rows of V × rank), a matrix file', fileArgument('--w'))
    .option('--h <file>', 'initial H (rank × columns of V), a matrix file', fileArgument('--h'))
    .option('--fix-w', 'keep the W of --w fixed: learn H only')
    .option('--fix-h', 'keep the H of --h fixed: learn W only')
    .option('--mask <file>', "weights in [0, 1] of V's entries, a matrix file (0 = missing; V may hold NaN there)", fileArgument('--mask'))
    .option('--keep-partial', 'on Ctrl-C, write the factors reached so far (still exit code 130)')
    .option('--online', 'online NMF: read the file a chunk of samples at a time (.csv, .tsv, .npy, .mtx)')
    .option('--batch-size <n>', '--online: samples per chunk (default 1024)', integer('--batch-size', 1))
    .option('--forget-factor <f>', '--online: weight of past chunks in the dictionary update (default 0.7)', number('--forget-factor', 0))
    .option('--epochs <n>', '--online: passes over the file (default 1)', integer('--epochs', 1))
    .addOption(
      new Option('--samples <axis>', "--online: the samples are the file's rows or columns (default columns)").choices(['rows', 'columns']),
    )
    .option('-o, --out <dir>', 'output folder', outFolder, 'nmfkit-out')
    .addOption(new Option('--format <fmt>', 'format of W and H (default: the input format; csv for WAV)').choices([...MATRIX_FORMATS]))
    .option('--json', 'print the summary as JSON to stdout')
    .option('--no-figures', 'skip the PNG figures')
    .option('-q, --quiet', 'no progress bar and no report')
    .option('--n-fft <n>', 'WAV input: FFT length, a power of two', powerOfTwo, 2048)
    .option('--hop <n>', 'WAV input: hop size in samples (default n-fft/4)', integer('--hop', 1))
    .option('--log <gamma>', 'WAV input: log compression γ of log(1 + γ|X|), 0 for none', number('--log', 0), 1)
    .addOption(new Option('--window <name>', 'WAV input: analysis window').choices([...WINDOW_NAMES]).default('hann'))
    .option(
      '--plot-max-frequency <Hz>',
      'WAV input: top of the frequency axis in the figures (default: where 99% of V lies, +10%)',
      number('--plot-max-frequency', 1),
    )
    .addHelpText('after', FACTORIZE_HELP)
    .action(async (input: string, flags: Record<string, unknown>) => {
      const progress = createProgress(!flags.quiet, io.stderr);
      const release = cancelOnInterrupt(controller, () => progress.stop());
      try {
        if (flags.online) {
          const { factorizeOnline } = await import('./online.js');
          const summary = await factorizeOnline(
            input,
            {
              ...pick(flags, [
                'rank',
                ...FIT_FLAGS,
                ...ONLINE_FLAGS,
                'format',
                'w',
                'h',
                'mask',
                'fixW',
                'fixH',
                'keepPartial',
                'plotMaxFrequency',
              ]),
              out: flags.out as string,
            } as OnlineFlags,
            progress,
            controller.signal,
          );
          if (flags.json) print(JSON.stringify(summary, null, 2));
          else if (!flags.quiet) reportOnline(summary, print);
          return;
        }
        const stray = ONLINE_FLAGS.find((key) => flags[key] !== undefined);
        if (stray !== undefined)
          throw new UsageError(`--${stray.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is taken with --online only`);
        const { factorize } = await import('./factorize.js');
        const summary: FactorizeSummary = await factorize(
          input,
          {
            ...pick(flags, ['rank', ...FIT_FLAGS, 'hop', 'format', 'plotMaxFrequency', 'w', 'h', 'mask', 'fixW', 'fixH', 'keepPartial']),
            out: flags.out as string,
            figures: flags.figures as boolean,
            nFft: flags.nFft as number,
            log: flags.log as number,
            window: flags.window as WindowName,
          } as FactorizeFlags,
          progress,
          controller.signal,
        );
        if (flags.json) print(JSON.stringify(summary, null, 2));
        else if (!flags.quiet) report(summary, print);
      } finally {
        release();
      }
    });

  try {
    await program.parseAsync(argv as string[], { from: 'user' });
  } catch (error) {
    outcome = exitCodeOf(error, io);
  }
  return outcome;
}

/** The flags of `factorize --online` only (commander's names). */
const ONLINE_FLAGS = ['batchSize', 'forgetFactor', 'epochs', 'samples'] as const;

/** --loss: a name, or a number β of the β-divergence. */
function lossValue(value: string): string | number {
  const beta = Number(value);
  if (value.trim() !== '' && Number.isFinite(beta)) return beta;
  if (['euclidean', 'kl', 'is'].includes(value)) return value;
  throw new InvalidArgumentError(`--loss must be euclidean, kl, is or a number β, got ${JSON.stringify(value)}.`);
}

function pick(flags: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) if (flags[key] !== undefined) out[key] = flags[key];
  return out;
}

function reportOnline(summary: OnlineSummary, print: (line: string) => void): void {
  const { input, online } = summary;
  print(`${input.path}: ${input.format}, ${input.rows} features × ${input.cols} samples (samples in ${input.samples})`);
  print(
    `rank ${summary.options.rank}, online: ${online.chunks} chunks over ${online.epochs} epoch${online.epochs === 1 ? '' : 's'}, cost of the last chunk ${online.lastCost.toPrecision(6)}, ${summary.seconds.toFixed(2)} s`,
  );
  print(`wrote ${Object.values(summary.outputs).join(', ')}`);
}

function report(summary: FactorizeSummary, print: (line: string) => void): void {
  const { input } = summary;
  print(
    `${input.path}: ${input.format}, ${input.rows}×${input.cols}${input.audio ? ` (spectrogram, nFft ${input.audio.nFft}, hop ${input.audio.hop}, log γ ${input.audio.log})` : ''}`,
  );
  print(
    `rank ${summary.options.rank}: ${summary.iterations} iterations (${summary.stopReason}), objective ${summary.objective.toPrecision(6)}, ‖V − WH‖₂ = ${summary.spectralError.toPrecision(5)}, ‖V − WH‖_F = ${summary.frobeniusError.toPrecision(5)}, seed ${summary.seed}, backend ${summary.backend}, ${summary.seconds.toFixed(2)} s`,
  );
  if (summary.templates) {
    const rows = summary.templates.map((t) => [
      String(t.component),
      t.frequency.toFixed(1),
      t.harmonic ? t.name : 'no pitch',
      formatCents(t.cents),
      t.salience.toFixed(2),
    ]);
    for (const line of table(['template', 'f0 (Hz)', 'pitch', 'cents', 'salience'], rows, ['r', 'r', 'l', 'r', 'r'])) print(`  ${line}`);
  }
  print(`wrote ${Object.values(summary.outputs).join(', ')}`);
}

function exitCodeOf(error: unknown, io: CliIo): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT_OK;
    // commander has already printed its message (or the help, for a missing command).
    return EXIT_USAGE;
  }
  // NMFKIT_DEBUG: the error's stable code (docs/api.md#errors) and its stack too.
  const debug = (): void => {
    if (!process.env.NMFKIT_DEBUG) return;
    io.stderr.write(`nmfkit: code ${String(codeOf(error) ?? 'none')}\n`);
    if (error instanceof Error) io.stderr.write(`${error.stack}\n`);
  };
  if (error instanceof CancelledError) {
    io.stderr.write(`nmfkit: ${error.message}\n`);
    debug();
    return error.exitCode;
  }
  if (error instanceof InputError || error instanceof UsageError) {
    io.stderr.write(`nmfkit: error: ${error.message}\n`);
    debug();
    return error.exitCode;
  }
  // The library's own messages may begin with 'nmfkit: ' (a backend that cannot load): said once.
  const message = (error instanceof Error ? error.message : String(error)).replace(/^nmfkit: /, '');
  io.stderr.write(`nmfkit: error: ${message}\n`);
  debug();
  return EXIT_INPUT;
}

/**
 * The native backend: loads the C++ addon (native/, built by binding.gyp) and adapts it to the contract.
 * Loading never throws: a failure becomes a `reason` and a concrete `fix`, which `backendInfo()` shows and the
 * facade puts in the error of a call that insists on native.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  AsyncKernelFit,
  AsyncKernelGroup,
  Backend,
  BackendDetails,
  FitProblem,
  GroupFitRun,
  GroupLane,
  KernelFit,
  KernelResult,
  LaneAdmission,
} from '../contract.js';
import { encodeSpec, SPEC_SLOTS } from '../spec.js';
import { nativeBlockRows } from './block-rows.js';
import { nativeTeamSize } from './team-size.js';
import { plainError } from '../errors.js';

export type NativeLoad = { ok: true; backend: Backend } | { ok: false; reason: string; fix: string };

type BlasInfo = NonNullable<BackendDetails['blas']>;

/**
 * The addon's `Fit` (native/addon.cc). Its glue checks what memory safety needs (the specification's slots, the
 * arrays' lengths, sizes it can allocate), so a wrong call throws instead of crashing.
 */
interface AddonFit {
  multiplyV(X: Float64Array, cols: number, transpose: boolean): Float64Array;
  multiplyVAsync(X: Float64Array, cols: number, transpose: boolean): Promise<Float64Array>;
  setFactors(W: Float64Array, H: Float64Array): void;
  run(steps: number, hChange: Float64Array, wChange: Float64Array, offset: number, objective?: Float64Array): number;
  runAsync(steps: number, hChange: Float64Array, wChange: Float64Array, offset: number, objective?: Float64Array): Promise<number>;
  converged(): boolean;
  cancel(): void;
  finish(): KernelResult;
  finishAsync(): Promise<KernelResult>;
  dispose(): void;
}

interface Addon {
  /** new Fit(spec slots, V, W, H, mask or null, fixed-column flags, a CSR V's indptr and indices or nulls). */
  Fit: new (
    spec: Float64Array,
    V: Float64Array | Float32Array,
    W: Float64Array,
    H: Float64Array,
    mask: Float64Array | null,
    fixedColumnsW: Uint8Array,
    indptr: Int32Array | null,
    indices: Int32Array | null,
  ) => AddonFit;
  /** Runs the fits to their end and finishes them, one after another in one request on the libuv pool. */
  runGroupAsync(fits: readonly AddonFit[], maxIter: number): Promise<(GroupFitRun | Error)[]>;
  /** Groups run one after another on one pool thread (native/addon.cc, LaneWrap). */
  Lane: new () => AddonLane;
  /** A zeroed Float64Array over memory of the addon's own (huge pages where the system has them). */
  allocateMatrix(length: number): Float64Array;
  /** Frees an allocateMatrix array at once (detaching it); any other typed array is left as it is. */
  releaseMatrix(array: Float64Array | Float32Array): void;
  blasInfo(): BlasInfo;
  setBlasThreads(threads: number): void;
  specSlots: number;
}

/**
 * Entries from which a copy of V goes to the addon's memory (native/arena.cc, kMappedMinBytes: 4 MiB): below it
 * an ordinary array costs no more.
 */
const MAPPED_MIN_ENTRIES = 2 ** 19;

/** Bytes of spare copies (SpareMatrices) kept at most: the copies of a few groups of small fits. */
const SPARE_BYTES = 2 ** 21;

/**
 * The facade's copies of small matrices (V, masks) for async fits, kept for the next plans once a fit has copied
 * them into its own memory. A fresh Float64Array costs an allocation, its zero-filling, page faults and later a
 * collection of its external memory: for a small fit of a batch, as much as checking its V. Only arrays handed out
 * by `take` come back, each once, so no array is ever held by two plans.
 */
class SpareMatrices {
  readonly #spare = new Map<number, Float64Array[]>();
  readonly #out = new WeakSet<Float64Array>();
  #bytes = 0;

  /** An array of `length` entries, not zeroed (a spare one, or a fresh one). */
  take(length: number): Float64Array {
    const list = this.#spare.get(length);
    const spare = list?.pop();
    if (spare) this.#bytes -= spare.byteLength;
    // No empty list stays behind: a server that sees many shapes keeps no entry per shape.
    if (list?.length === 0) this.#spare.delete(length);
    const array = spare ?? new Float64Array(length);
    this.#out.add(array);
    return array;
  }

  /**
   * Takes back an array of `take`'s that nothing reads any more. The spares stay within SPARE_BYTES: where this one
   * would not fit, every spare goes, since spares that pile up are of shapes the fits being planned do not ask for.
   */
  give(array: Float64Array | Float32Array): void {
    if (!(array instanceof Float64Array) || !this.#out.delete(array)) return;
    if (array.length === 0 || array.byteLength > SPARE_BYTES) return;
    if (this.#bytes + array.byteLength > SPARE_BYTES) {
      this.#spare.clear();
      this.#bytes = 0;
    }
    let list = this.#spare.get(array.length);
    if (!list) this.#spare.set(array.length, (list = []));
    list.push(array);
    this.#bytes += array.byteLength;
  }
}

const BUILD_FIX =
  'install g++, make, python3, pkg-config and libopenblas-dev ' +
  '(Debian/Ubuntu: apt-get install -y g++ make python3 pkg-config libopenblas-dev; ' +
  'Fedora: dnf install -y gcc-c++ make python3 pkgconf openblas-devel; macOS: xcode-select --install), ' +
  'then run `npm rebuild nmfkit`';

/** Whether this process may load addons at all (`--no-addons` on the command line or in NODE_OPTIONS). */
function addonsDisabled(code: unknown): boolean {
  return (
    code === 'ERR_DLOPEN_DISABLED' ||
    process.execArgv.includes('--no-addons') ||
    /(^|\s)--no-addons(\s|$)/.test(process.env['NODE_OPTIONS'] ?? '')
  );
}

/**
 * Why there is no addon to load, from what the install left (scripts/install.cjs): its note of a failed compile
 * (build/install.json), or nothing at all — then no prebuilt binary matched this platform and the install script
 * never ran (`npm install --ignore-scripts`; pnpm and bun do not run dependencies' scripts unless allowed).
 */
function explainMissingBuild(found: string): { reason: string; fix: string } {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  let note: { compiled?: unknown; reason?: unknown } | undefined;
  try {
    note = JSON.parse(readFileSync(join(root, 'build', 'install.json'), 'utf8')) as typeof note;
  } catch {
    note = undefined;
  }
  if (note && note.compiled === false) {
    return {
      reason: `the native addon failed to compile at install (${String(note.reason)}); no prebuilt binary matches ${process.platform}-${process.arch}`,
      fix: BUILD_FIX,
    };
  }
  return {
    reason:
      `the native addon has not been built (${found}): no prebuilt binary matches ${process.platform}-${process.arch}, ` +
      'and the install script that compiles one did not run or did not finish',
    fix:
      "allow nmfkit's install script (npm: install without --ignore-scripts; pnpm: list nmfkit in onlyBuiltDependencies; " +
      `bun: in trustedDependencies) and run \`npm rebuild nmfkit\`, with a C++ compiler and OpenBLAS: ${BUILD_FIX}`,
  };
}

/** Turns a load failure into what the user reads: what went wrong, and what to do about it. */
function explain(error: unknown): { reason: string; fix: string } {
  const message = (error instanceof Error ? error.message : String(error)).trim();
  const code = (error as { code?: unknown } | null)?.code;
  if (addonsDisabled(code)) {
    return {
      reason: 'loading native addons is disabled in this process',
      fix: 'Node was started with --no-addons; remove it to use native',
    };
  }
  if (message.startsWith('No native build was found')) return explainMissingBuild(message.split('\n')[0]!);
  if (/libopenblas[^:]*: cannot open shared object file/.test(message)) {
    return {
      reason: `the OpenBLAS runtime library is missing (${message})`,
      fix: 'install the OpenBLAS runtime library (Debian/Ubuntu: apt-get install -y libopenblas0; Fedora: dnf install -y openblas)',
    };
  }
  if (/NODE_MODULE_VERSION|undefined symbol/.test(message)) {
    return { reason: `the native addon was built for another Node.js (${message})`, fix: 'run `npm rebuild nmfkit`' };
  }
  if (code === 'MODULE_NOT_FOUND' && message.includes('node-gyp-build')) {
    return { reason: message, fix: 'reinstall nmfkit: its dependency node-gyp-build is missing' };
  }
  return { reason: message, fix: BUILD_FIX };
}

/** The addon's Fit already has both contracts' shapes; these only pin the types. */
function syncFit(fit: AddonFit): KernelFit {
  return {
    multiplyV: (X, cols, transpose) => fit.multiplyV(X, cols, transpose),
    setFactors: (W, H) => fit.setFactors(W, H),
    run: (steps, hChange, wChange, offset, objective) => fit.run(steps, hChange, wChange, offset, objective),
    converged: () => fit.converged(),
    finish: () => fit.finish(),
    dispose: () => fit.dispose(),
  };
}

/**
 * The async fits alive in this thread. When the thread's process (or worker) exits, they are cancelled: a running
 * request stops before its next iteration, so the exit does not wait for it (libuv joins its pool at exit).
 */
const running = new Set<AddonFit>();
let exitHookInstalled = false;

function cancelRunning(): void {
  for (const fit of running) fit.cancel();
}

/** Adds an async fit to `running` (its entry is deleted when it is disposed). */
function track(fit: AddonFit): void {
  if (!exitHookInstalled) {
    process.on('exit', cancelRunning);
    exitHookInstalled = true;
  }
  running.add(fit);
}

function asyncFit(fit: AddonFit): AsyncKernelFit {
  track(fit);
  return {
    multiplyVAsync: (X, cols, transpose) => fit.multiplyVAsync(X, cols, transpose),
    setFactorsAsync: async (W, H) => fit.setFactors(W, H),
    runAsync: (steps, hChange, wChange, offset, objective) => fit.runAsync(steps, hChange, wChange, offset, objective),
    converged: () => fit.converged(),
    cancel: () => fit.cancel(),
    finishAsync: () => fit.finishAsync(),
    dispose: () => {
      running.delete(fit);
      fit.dispose();
    },
  };
}

/**
 * A group of fits in one request (Backend.runGroupAsync). A problem whose fit cannot be created (out of memory) gets
 * that Error as its entry; the others run. Every fit is freed when the group is done.
 */
function asyncGroup(
  create: (p: FitProblem) => AddonFit,
  problems: readonly FitProblem[],
  submit: (fits: readonly AddonFit[]) => Promise<(GroupFitRun | Error)[]>,
): AsyncKernelGroup {
  const entries = problems.map((problem): AddonFit | Error => {
    try {
      return create(problem);
    } catch (error) {
      return error as Error;
    }
  });
  const fits = entries.filter((entry): entry is AddonFit => !(entry instanceof Error));
  fits.forEach(track);
  const release = (): void => {
    for (const fit of fits) {
      running.delete(fit);
      fit.dispose();
    }
  };
  let started: Promise<(GroupFitRun | Error)[]>;
  try {
    started = fits.length > 0 ? submit(fits) : Promise.resolve([]);
  } catch (error) {
    // Refused before anything ran (out of memory for the request): every fit fails with it.
    started = Promise.reject(error as Error);
  }
  const done = started.then(
    (runs) => {
      release();
      let next = 0;
      return entries.map((entry) => (entry instanceof Error ? entry : runs[next++]!));
    },
    (error: unknown) => {
      release();
      return entries.map((entry) => (entry instanceof Error ? entry : (error as Error)));
    },
  );
  return { done, cancel: () => fits.forEach((fit) => fit.cancel()) };
}

/** The addon's `Lane` (native/addon.cc). */
interface AddonLane {
  /**
   * The group joins the run in progress, or begins a run: its outcomes, and for a run it began, the end of that
   * run (every group of it settled).
   */
  start(fits: readonly AddonFit[], maxIter: number): { done: Promise<(GroupFitRun | Error)[]>; drained?: Promise<void> };
  /** The next group of the run in progress, or undefined when there is none or it has ended. */
  append(fits: readonly AddonFit[], maxIter: number): Promise<(GroupFitRun | Error)[]> | undefined;
}

/**
 * A lane (GroupLane) on the addon's Lane: a group joins the run in progress when it can (and no other fit waits for
 * a slot), else it waits for a slot and begins a run, which holds the slot until it has drained. A group whose slot
 * comes while a run is in progress joins that run and gives the slot back at once.
 */
function nativeLane(native: Addon, create: (p: FitProblem) => AddonFit, admission: LaneAdmission): GroupLane {
  const lane = new native.Lane();
  return {
    runGroupAsync: (problems, maxIter) =>
      asyncGroup(create, problems, (fits) => {
        const joined = admission.contended() ? undefined : lane.append(fits, maxIter);
        if (joined) return joined;
        return new Promise((resolve, reject) => {
          admission
            .admit(() => {
              const run = lane.start(fits, maxIter);
              resolve(run.done);
              return run.drained ?? Promise.resolve();
            })
            .catch(reject);
        });
      }),
  };
}

let addon: Addon | undefined;

/** Loads the addon (once) and returns the native backend, or why it is unavailable. Never throws. */
export function loadNativeBackend(): NativeLoad {
  try {
    if (!addon) {
      // The package root, from src/backends (tests) as from dist/backends (the published build).
      const root = fileURLToPath(new URL('../..', import.meta.url));
      const loaded = createRequire(import.meta.url)('node-gyp-build')(root) as Partial<Addon>;
      if (typeof loaded.Fit !== 'function' || typeof loaded.blasInfo !== 'function') {
        const reason = 'the native addon does not export Fit and blasInfo (a stale build?)';
        return { ok: false, reason, fix: 'run `npm rebuild nmfkit`' };
      }
      // An addon built from another specification table would misread every slot.
      if (loaded.specSlots !== SPEC_SLOTS) {
        const reason = `the native addon was built for another version of nmfkit (its fit specification has ${String(loaded.specSlots)} slots, this version's ${SPEC_SLOTS})`;
        return { ok: false, reason, fix: 'run `npm rebuild nmfkit`' };
      }
      addon = loaded as Addon;
    }
    const native = addon;
    // The addon decodes the specification while it constructs the fit, so one array serves every construction.
    const specSlots = new Float64Array(SPEC_SLOTS);
    const create = (p: FitProblem): AddonFit =>
      new native.Fit(
        encodeSpec(p.spec, specSlots),
        p.V,
        p.W,
        p.H,
        p.mask,
        p.fixedColumnsW,
        p.pattern?.indptr ?? null,
        p.pattern?.indices ?? null,
      );
    // An async fit copies its problem's V and mask into memory of its own when it is created, so the facade's
    // copies (allocateMatrix) are freed then, not whenever the garbage collector comes to them, and small ones are
    // kept for the next plans.
    const spares = new SpareMatrices();
    const createOwning = (p: FitProblem): AddonFit => {
      const fit = create(p);
      for (const copy of p.mask ? [p.V, p.mask] : [p.V]) {
        if (copy.length >= MAPPED_MIN_ENTRIES) native.releaseMatrix(copy);
        else spares.give(copy);
      }
      return fit;
    };
    const backend: Backend = {
      name: 'native',
      dtypes: ['float64', 'float32'],
      blockRows: nativeBlockRows,
      teamSize: nativeTeamSize,
      createFit: (p: FitProblem) => syncFit(create(p)),
      createAsyncFit: (p: FitProblem) => asyncFit(createOwning(p)),
      runGroupAsync: (problems, maxIter) => asyncGroup(createOwning, problems, (fits) => native.runGroupAsync(fits, maxIter)),
      openLane: (admission) => nativeLane(native, createOwning, admission),
      allocateMatrix: (length: number) => (length >= MAPPED_MIN_ENTRIES ? native.allocateMatrix(length) : spares.take(length)),
      details: () => ({ blas: native.blasInfo() }),
    };
    return { ok: true, backend };
  } catch (error) {
    return { ok: false, ...explain(error) };
  }
}

/** Sets the size of OpenBLAS's thread pool (a no-op with Accelerate). Throws when the addon is not available. */
export function setNativeThreads(threads: number): void {
  const load = loadNativeBackend();
  if (!load.ok)
    throw plainError('NMFKIT_BACKEND_UNAVAILABLE', `nmfkit: the native backend is not available: ${load.reason}. Fix: ${load.fix}`);
  addon!.setBlasThreads(threads);
}

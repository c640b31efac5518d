/**
 * The JavaScript side of a wasm fit's team (assembly/team.ts): the threaded module (wasm/nmfkit-threads.wasm)
 * runs a fit whose spec.threads > 1 on a shared memory; each helper is a pool worker that instantiates the same
 * module on that memory and waits in `team_help` for the leader's jobs until the fit is disposed. The pool
 * (./wasm-pool.ts) writes two words of the team's block from the calling thread: `gone` when a helper's worker
 * exits (the leader then does that member's shares itself) and `stop` when the leader's worker exits (the helpers
 * return). Runtime-neutral: no Node built-ins here.
 */

/** The threaded build's file name, beside wasm/nmfkit.wasm. */
export const TEAM_WASM_FILE = 'nmfkit-threads.wasm';

/** Where a fit's team lives: the shared memory and the byte offset of the team's block in it. */
export interface TeamHandle {
  readonly memory: WebAssembly.Memory;
  readonly pointer: number;
  readonly size: number;
}

// Byte offsets in the team's block (assembly/team.ts).
const GENERATION = 0;
const FINISHED = 4;
const STOP = 8;
const ARG_SLOTS = 16;
const DONE = 64 + ARG_SLOTS * 8;

/** Whether this runtime can share a wasm memory between threads (SharedArrayBuffer, posted to workers). */
export function teamsAvailable(): boolean {
  if (typeof SharedArrayBuffer !== 'function') return false;
  // A browser page that is not cross-origin isolated may define SharedArrayBuffer but cannot post one.
  return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false;
}

/**
 * A shared memory for the threaded module with room for `maxBytes` (rounded down to whole 64 KiB pages, at most
 * 4 GiB): a shared memory must declare its maximum.
 */
export function createSharedMemory(maxBytes: number): WebAssembly.Memory {
  const maximum = Math.max(1, Math.min(65536, Math.floor(maxBytes / 65536)));
  return new WebAssembly.Memory({ initial: 1, maximum, shared: true });
}

function words(team: TeamHandle): Int32Array {
  return new Int32Array(team.memory.buffer);
}

/**
 * The imports of the threaded module on `memory`: `teamWait`, Atomics.wait on a word of the memory (assembly/team.ts
 * says why it is not the module's own wait instruction).
 */
export function teamImports(memory: WebAssembly.Memory): WebAssembly.Imports {
  let words = new Int32Array(memory.buffer);
  const teamWait = (word: number, expected: number): void => {
    // The memory may have grown since the view was made.
    if (word >>> 0 >= words.byteLength) words = new Int32Array(memory.buffer);
    Atomics.wait(words, (word >>> 0) >>> 2, expected);
  };
  return { env: { memory, teamWait } };
}

/** Member `member`'s worker has exited: the leader does its shares from now on (it is woken to see it). */
export function markGone(team: TeamHandle, member: number): void {
  const w = words(team);
  const base = team.pointer >>> 2;
  Atomics.store(w, base + (DONE >>> 2) + team.size + member, 1);
  Atomics.add(w, base + (FINISHED >>> 2), 1);
  Atomics.notify(w, base + (FINISHED >>> 2));
}

/** The team stops: its helpers return from team_help (the leader's worker exited, or the fit was disposed). */
export function stopTeam(team: TeamHandle): void {
  const w = words(team);
  const base = team.pointer >>> 2;
  Atomics.store(w, base + (STOP >>> 2), 1);
  Atomics.add(w, base + (GENERATION >>> 2), 1);
  Atomics.notify(w, base + (GENERATION >>> 2));
}

/**
 * Member `member`'s part of the team at `team`: instantiates the threaded module on the team's memory and runs the
 * helper loop, which returns when the team stops. Blocks the calling thread (a worker) until then.
 */
export async function helpTeam(module: WebAssembly.Module, team: TeamHandle, member: number): Promise<void> {
  const instance = await WebAssembly.instantiate(module, teamImports(team.memory));
  const help = instance.exports['team_help'] as (team: number, member: number) => void;
  help(team.pointer, member);
}

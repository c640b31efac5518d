// A fit's team (native/team.h): the thread that runs the fit (member 0, the leader) and size − 1 helpers, workers
// that instantiate this module on the same shared memory and wait in teamHelp for jobs. Each member takes a fixed
// contiguous share of a job's range (split), so which member computes which entries depends only on the team
// size: a fit with T members gives the same bits on every run.
//
// Built without threads (the module for runtimes without SharedArrayBuffer), a team always has one member and
// every job runs on the calling thread.
//
// A team lives in a block of the fit's arena (TEAM_PART in fit.ts), teamBytes(size) long:
//   generation  i32  the number of the current job, bumped by the leader for each one (helpers wait on it)
//   finished    i32  bumped by a helper when it has done its share (the leader waits on it)
//   stop        i32  1: helpers return from teamHelp (set when the fit is disposed, or by the pool)
//   size        i32  members
//   job         u32  the current job: a function of (team, member)
//   args        ARG_SLOTS × 8 bytes: the job's arguments
//   done        i32 per member: the generation whose share the member has done last
//   gone        i32 per member: 1 = the member's worker has exited (set by the pool): the leader does its shares
//   partials    f64 per member: the members' sums of a job that adds over its blocks (fit.ts, explicitDivergence)
// The JavaScript side (src/backends/wasm-team.ts) writes `stop` and `gone` at the same offsets.

/** A job: member `member`'s share of the work described by the team's arguments. */
export type Job = (team: usize, member: i32) => void;

const GENERATION: usize = 0;
const FINISHED: usize = 4;
const STOP: usize = 8;
const SIZE: usize = 12;
const JOB: usize = 16;
const ARGS: usize = 64;
export const ARG_SLOTS: i32 = 16;
const DONE: usize = ARGS + <usize>ARG_SLOTS * 8;

/**
 * Blocks while the word at `word` holds `expected` (or until woken by memory.atomic.notify): JavaScript's
 * Atomics.wait, imported (src/backends/wasm-team.ts). The module's own memory.atomic.wait32 is not used: under
 * Node 20 (V8 11.3) a team waiting with it hung, a member blocking on a word that no longer held the expected value
 * (its timeout not honoured either) and a helper storing its `done` word to a wrong address after a wait; with
 * Atomics.wait neither happens.
 */
@external("env", "teamWait")
declare function teamWait(word: usize, expected: i32): void;

/** The `done` word of a member that has left the team. */
const LEFT: i32 = -1;

function gone(size: i32): usize {
  return DONE + <usize>size * 4;
}

function partials(size: i32): usize {
  return (gone(size) + <usize>size * 4 + 7) & ~(<usize>7);
}

/** Bytes of the block of a team of `size` members (0 without threads: there is no team to share). */
export function teamBytes(size: i32): f64 {
  return ASC_FEATURE_THREADS ? <f64>(partials(size) + <usize>size * 8) : 0;
}

/** Sets up the block at `team` (teamBytes(size) bytes, zeroed) for `size` members. */
export function teamInit(team: usize, size: i32): void {
  if (ASC_FEATURE_THREADS) store<i32>(team + SIZE, size);
}

/** Members of the team at `team` (1 without threads). */
// @ts-ignore: decorator
@inline
export function teamSize(team: usize): i32 {
  return ASC_FEATURE_THREADS && team != 0 ? load<i32>(team + SIZE) : 1;
}

/** [begin, end) of member `member` of `parts` in [0, count): as native/team.h's split, the larger shares first. */
export function shareBegin(count: i32, parts: i32, member: i32): i32 {
  const base = count / parts, extra = count % parts;
  return member * base + min(member, extra);
}

export function shareEnd(count: i32, parts: i32, member: i32): i32 {
  return shareBegin(count, parts, member) + count / parts + (member < count % parts ? 1 : 0);
}

// The job's arguments, by slot.
export function setArg(team: usize, slot: i32, value: u64): void {
  store<u64>(team + ARGS + (<usize>slot << 3), value);
}

export function setArgF(team: usize, slot: i32, value: f64): void {
  store<f64>(team + ARGS + (<usize>slot << 3), value);
}

export function arg(team: usize, slot: i32): usize {
  return <usize>load<u64>(team + ARGS + (<usize>slot << 3));
}

export function argI(team: usize, slot: i32): i32 {
  return <i32>load<u64>(team + ARGS + (<usize>slot << 3));
}

export function argF(team: usize, slot: i32): f64 {
  return load<f64>(team + ARGS + (<usize>slot << 3));
}

/** Member `member`'s partial sum of the current job. */
export function partialAt(team: usize, member: i32): usize {
  return team + partials(teamSize(team)) + (<usize>member << 3);
}

/**
 * Runs job(team, member) for every member, member 0 here, and returns when all have returned. A member whose
 * worker has exited (its `gone` flag) has its share done here instead, so a fit survives the loss of a helper.
 */
export function teamRun(team: usize, job: Job): void {
  const size = teamSize(team);
  if (!ASC_FEATURE_THREADS || size == 1) {
    job(team, 0);
    return;
  }
  store<u32>(team + JOB, <u32>changetype<usize>(job));
  // The arguments and the job are plain stores; the sequentially consistent add publishes them.
  const generation = atomic.add<i32>(team + GENERATION, 1) + 1;
  atomic.notify(team + GENERATION, size - 1);
  job(team, 0);
  const goneAt = team + gone(size);
  for (;;) {
    const finished = atomic.load<i32>(team + FINISHED);
    let all = true;
    for (let m = 1; m < size; m++) {
      const done = team + DONE + (<usize>m << 2);
      if (atomic.load<i32>(done) == generation) continue;
      if (atomic.load<i32>(goneAt + (<usize>m << 2)) != 0) {
        job(team, m);
        atomic.store<i32>(team + DONE + (<usize>m << 2), generation);
      } else {
        all = false;
      }
    }
    if (all) return;
    // Woken by a helper that finished, or by the pool when a helper's worker exits (it bumps `finished` too).
    teamWait(team + FINISHED, finished);
  }
}

/**
 * A helper's loop (exported): waits for jobs and does member `member`'s share of each, until the team stops. The
 * helper may start after the leader posted its first job: the leader waits for every member that has not gone.
 */
export function teamHelp(team: usize, member: i32): void {
  if (!ASC_FEATURE_THREADS) return;
  // A helper starts before its first job, or while the leader waits for it to do that job: it has done none.
  let seen = 0;
  for (;;) {
    const generation = atomic.load<i32>(team + GENERATION);
    if (atomic.load<i32>(team + STOP) != 0) {
      // Left: the leader may give the team's memory back once every member has (teamStop).
      atomic.store<i32>(team + DONE + (<usize>member << 2), LEFT);
      atomic.add<i32>(team + FINISHED, 1);
      atomic.notify(team + FINISHED, 1);
      return;
    }
    if (generation == seen) {
      teamWait(team + GENERATION, generation);
      continue;
    }
    seen = generation;
    changetype<Job>(<usize>load<u32>(team + JOB))(team, member);
    atomic.store<i32>(team + DONE + (<usize>member << 2), generation);
    atomic.add<i32>(team + FINISHED, 1);
    atomic.notify(team + FINISHED, 1);
  }
}

/**
 * Stops the helpers (the fit is disposed) and waits until each has left teamHelp or gone, so that no helper is
 * still reading the team's block when the fit's memory is given back and reused (a late helper would otherwise
 * join the next fit placed there).
 */
export function teamStop(team: usize): void {
  if (!ASC_FEATURE_THREADS || team == 0) return;
  const size = teamSize(team);
  atomic.store<i32>(team + STOP, 1);
  atomic.add<i32>(team + GENERATION, 1);
  atomic.notify(team + GENERATION, -1);
  const goneAt = team + gone(size);
  for (;;) {
    const finished = atomic.load<i32>(team + FINISHED);
    let all = true;
    for (let m = 1; m < size; m++) {
      const left = atomic.load<i32>(team + DONE + (<usize>m << 2)) == LEFT;
      if (!left && atomic.load<i32>(goneAt + (<usize>m << 2)) == 0) all = false;
    }
    if (all) return;
    teamWait(team + FINISHED, finished);
  }
}

// The module's exports, nothing else: plain functions on numbers and raw pointers into linear memory (the
// exported `memory`). The JavaScript side (src/backends/wasm.ts) owns all allocation.

import {
  RUN_CHUNK, arenaBytes, converged, finishFit, frobeniusError, init, initialObjective, multiplyVFit, objective, ptrFixed,
  ptrH, ptrHChanges, ptrIndices, ptrIndptr, ptrMask, ptrObjectives, ptrTeam, ptrV, ptrW, ptrWChanges, runFit, setFactorsFit,
  stopTeam,
} from './fit';
import { teamHelp } from './team';
import { SPEC_SLOTS } from './spec';
import { lanczosMaxSteps, lanczosWorkBytes } from './spectral';

/** First byte of linear memory that belongs to the loader's allocator (nothing of ours lies at or above it). */
export function heapBase(): usize {
  return __heap_base;
}

/** Largest `steps` one fit_run call accepts (size of the arena's change and objective arrays). */
export function fit_runChunk(): i32 {
  return RUN_CHUNK;
}

/** float64 slots of an encoded specification (src/spec.ts): the loader checks that both sides agree. */
export function fit_specSlots(): i32 {
  return SPEC_SLOTS;
}

export {
  arenaBytes as fit_arenaBytes,
  init as fit_init,
  ptrV as fit_ptrV,
  ptrW as fit_ptrW,
  ptrH as fit_ptrH,
  ptrMask as fit_ptrMask,
  ptrIndptr as fit_ptrIndptr,
  ptrIndices as fit_ptrIndices,
  ptrFixed as fit_ptrFixed,
  ptrHChanges as fit_ptrHChanges,
  ptrWChanges as fit_ptrWChanges,
  ptrObjectives as fit_ptrObjectives,
  multiplyVFit as fit_multiplyV,
  setFactorsFit as fit_setFactors,
  runFit as fit_run,
  converged as fit_converged,
  finishFit as fit_finish,
  frobeniusError as fit_frobeniusError,
  objective as fit_objective,
  initialObjective as fit_initialObjective,
  ptrTeam as fit_ptrTeam,
  stopTeam as fit_stopTeam,
  teamHelp as team_help,
  lanczosWorkBytes as fit_lanczosWorkBytes,
  lanczosMaxSteps as fit_lanczosMaxSteps,
};

/**
 * Exports added later, on both entries: every exported function but the fit's own (see ./added-exports.ts). The
 * audio functions and figures are nmfkit-audio's, checked by its test/hostile/exports.test.ts.
 */
import { describeAddedExports } from './added-exports.js';
import { CORE, ENTRIES } from './entries.js';

for (const entry of ENTRIES) describeAddedExports(`${entry.name} entry: exports added later`, entry.exports, CORE);

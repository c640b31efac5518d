/**
 * Exports added later: every exported function of 'nmfkit-audio', 'nmfkit-audio/node' and 'nmfkit-audio/figures'
 * — also those without cases of their own in ./audio.test.ts and ./figures.test.ts — called with every non-string
 * hostile value returns, or throws (rejects) a TypeError or RangeError naming one of its parameters
 * (nmfkit's test/hostile/added-exports.ts).
 */
import * as figures from '../../src/figures/index.js';
import * as entry from '../../src/index.js';
import * as node from '../../src/node.js';
import { describeAddedExports } from '../../../../test/hostile/added-exports.js';

describeAddedExports("nmfkit-audio's entries: exports added later", { ...entry, ...node, ...figures }, new Set());

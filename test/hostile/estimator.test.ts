/**
 * The NMF estimator (partialFit and nmfStream too) and estimateRank held to the fits' hostile-input contract (./export-cases.ts), on both entries:
 * the estimator's constructor, every method that takes an argument, `NMF.fromJSON` and estimateRank — each argument and option, as every hostile value, refused
 * with a TypeError or RangeError naming it; what a getter or proxy trap throws turned into a TypeError naming what
 * could not be read; each property read once; nothing modified. Then hostile saved models.
 */
import { describe, it } from 'vitest';
import { ESTIMATOR_OPTION_NAMES } from '../../src/estimator.js';
import { RANK_OPTION_NAMES } from '../../src/rank.js';
import { ENTRIES } from './entries.js';
import { describeExportCases, type ExportCase } from './export-cases.js';
import { boom, catchError, JUNK, named, throwingProxy } from './hostile-values.js';

const V = { rows: 2, cols: 3, data: [1, 2, 3, 4, 5, 6] };
const OPTIONS = { rank: 2, maxIter: 5, seed: 1 };

for (const entry of ENTRIES) {
  const { NMF } = entry;
  const fitted = new NMF(OPTIONS).fit(V);
  const saved = (): unknown => fitted.toJSON();

  /** The estimator's surface as functions: the constructor, each method (on a fresh or a fitted model) and fromJSON. */
  const EXPORTS: Record<string, (...args: never[]) => unknown> = {
    NMF: (options: never) => new NMF(options),
    'NMF.fromJSON': (json: never) => NMF.fromJSON(json),
    'NMF#fit': (v: never, options: never) => new NMF(OPTIONS).fit(v, options),
    'NMF#fitTransform': (v: never, options: never) => new NMF(OPTIONS).fitTransform(v, options),
    'NMF#transform': (v: never) => fitted.transform(v),
    'NMF#inverseTransform': (h: never) => fitted.inverseTransform(h),
    'NMF#fitAsync': (v: never, options: never) => new NMF(OPTIONS).fitAsync(v, options),
    'NMF#fitTransformAsync': (v: never, options: never) => new NMF(OPTIONS).fitTransformAsync(v, options),
    'NMF#transformAsync': (v: never, options: never) => fitted.transformAsync(v, options),
    'NMF#partialFit': (chunk: never, options: never) => new NMF(OPTIONS).partialFit(chunk, options),
    'NMF#partialFitAsync': (chunk: never, options: never) => new NMF(OPTIONS).partialFitAsync(chunk, options),
    nmfStream: async (source: never, options: never) => {
      for await (const progress of entry.nmfStream(source, options)) void progress;
    },
    estimateRank: (v: never, options: never) => entry.estimateRank(v, options),
  };
  const CASES: Record<string, ExportCase> = {
    NMF: {
      args: () => [{ ...OPTIONS }],
      params: ['options'],
      options: { index: 0, keys: ESTIMATOR_OPTION_NAMES },
      valid: { 'options.freshRestarts': ['true'], 'options.maxNoImprovement': ['null'] },
    },
    'NMF#partialFit': { args: () => [V, {}], params: ['chunk', 'options'], options: { index: 1, keys: ['W'] } },
    'NMF#partialFitAsync': { args: () => [V, {}], params: ['chunk', 'options'], async: true, options: { index: 1, keys: ['W', 'signal'] } },
    nmfStream: {
      args: () => [[V, V], { ...OPTIONS }],
      params: ['source', 'options'],
      async: true,
      options: { index: 1, keys: [...ESTIMATOR_OPTION_NAMES, 'W', 'signal', 'onChunk'] },
      valid: { 'options.freshRestarts': ['true'], 'options.maxNoImprovement': ['null'] },
    },
    'NMF.fromJSON': { args: () => [saved()], params: ['json'] },
    'NMF#fit': { args: () => [V, {}], params: ['V', 'options'], options: { index: 1, keys: ['W', 'H'] } },
    'NMF#fitTransform': { args: () => [V, {}], params: ['V', 'options'], options: { index: 1, keys: ['W', 'H'] } },
    'NMF#transform': { args: () => [V], params: ['V'] },
    'NMF#inverseTransform': { args: () => [{ rows: 2, cols: 2, data: [1, 0, 0, 1] }], params: ['H'] },
    'NMF#fitAsync': { args: () => [V, {}], params: ['V', 'options'], async: true, options: { index: 1, keys: ['W', 'H', 'signal'] } },
    'NMF#fitTransformAsync': {
      args: () => [V, {}],
      params: ['V', 'options'],
      async: true,
      options: { index: 1, keys: ['W', 'H', 'signal'] },
    },
    'NMF#transformAsync': { args: () => [V, {}], params: ['V', 'options'], async: true, options: { index: 1, keys: ['signal'] } },
    estimateRank: {
      args: () => [V, { ranks: [1, 2], restarts: 2, maxIter: 5, seed: 1 }],
      params: ['V', 'options'],
      async: true,
      options: { index: 1, keys: RANK_OPTION_NAMES },
    },
  };
  describeExportCases(`${entry.name} entry: the NMF estimator and estimateRank`, EXPORTS, CASES);

  describe(`${entry.name} entry: hostile saved models`, () => {
    it('every field of a saved model, as every hostile value, is refused naming it', () => {
      for (const field of ['format', 'version', 'options', 'components', 'nIter', 'reconstructionErr', 'objective', 'stopReason', 'seed']) {
        for (const [what, make] of JUNK) {
          // null is the seed of a fit that used none.
          if (field === 'seed' && what === 'null') continue;
          const json = { ...(saved() as object), [field]: make() };
          const error = catchError(() => NMF.fromJSON(json as never));
          // A string is a valid format only if it is 'nmfkit-model'; 'a,b,c' is not.
          named(
            error,
            new RegExp(`^(json\\.${field}\\b|unknown option json\\.${field}\\.|the keys of json\\.${field}\\b)`),
            `json.${field} = ${what}`,
          );
        }
      }
    });

    it('a getter or proxy trap that throws is a TypeError naming what could not be read', () => {
      for (const field of ['format', 'options', 'components']) {
        const json = Object.defineProperty({ ...(saved() as object) }, field, { get: boom(field), enumerable: true });
        const error = catchError(() => NMF.fromJSON(json as never));
        named(error, new RegExp(`^json\\.${field} could not be read: Error: hostile ${field}`), `getter ${field}`);
      }
      const components = { ...(saved() as { components: object }).components };
      const throwing = { ...(saved() as object), components: throwingProxy(components), options: { ...OPTIONS } };
      named(
        catchError(() => NMF.fromJSON(throwing as never)),
        /^json\.components\b/,
        'a throwing proxy as components',
      );
      named(
        catchError(() => NMF.fromJSON(throwingProxy({}) as never)),
        /^(the keys of )?json\b/,
        'a throwing proxy as json',
      );
    });

    it('a deeply nested JSON text is refused naming json', () => {
      const deep = '['.repeat(100000) + ']'.repeat(100000);
      const error = catchError(() => NMF.fromJSON(deep));
      named(error, /^json\b/, 'deeply nested JSON');
    });
  });
}

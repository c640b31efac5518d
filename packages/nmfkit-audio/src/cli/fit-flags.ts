/**
 * The `factorize` flags that are options of nmf(), under nmf's names (commander turns --l1-w into l1W). Passed on
 * only when given, so nmf's defaults and validation apply.
 */
export const FIT_FLAGS = [
  'maxIter',
  'tol',
  'normalize',
  'seed',
  'backend',
  'maxTime',
  'loss',
  'solver',
  'init',
  'l1W',
  'l2W',
  'l1H',
  'l2H',
  'stop',
  'errorEvery',
  'restarts',
  'dtype',
  'threads',
] as const;

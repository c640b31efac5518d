// `node --import ./load-hook.mjs …` with LOAD_LOG=<file>: appends the URL of every ES module the process resolves
// to that file (a resolve hook, on the hooks thread), for ./loads.mjs. CommonJS files are in require.cache.
import { register } from 'node:module';

const hook = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(${JSON.stringify(process.env.LOAD_LOG)}, resolved.url + '\\n');
  return resolved;
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);

/**
 * A malformed NMFKIT_THREADS does not break the import of either entry: the first call that needs the thread
 * settings fails with a RangeError naming the variable and its value. Each case is a child process with that
 * environment, importing the built entry (dist/index.js, dist/browser.js).
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const ENTRY_FILES = { node: '../../dist/index.js', 'wasm-only': '../../dist/browser.js' } as const;

function withThreads(entry: keyof typeof ENTRY_FILES, value: string): { imported: boolean; errors: string[] } {
  const program = `
    const out = { imported: false, errors: [] };
    const record = (e) => out.errors.push(e instanceof RangeError ? 'RangeError: ' + e.message : 'other: ' + String(e));
    let m;
    try { m = await import(${JSON.stringify(new URL(ENTRY_FILES[entry], import.meta.url).href)}); out.imported = true; } catch (e) { record(e); }
    if (m) {
      const V = { rows: 2, cols: 2, data: [1, 2, 3, 4] };
      try { m.backendInfo(); out.errors.push('backendInfo: no error'); } catch (e) { record(e); }
      try { await m.nmf(V, { rank: 1, maxIter: 2 }); out.errors.push('nmf: no error'); } catch (e) { record(e); }
    }
    console.log(JSON.stringify(out));
  `;
  const text = execFileSync(process.execPath, ['--input-type=module', '-e', program], {
    env: { ...process.env, NMFKIT_THREADS: value },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return JSON.parse(text) as { imported: boolean; errors: string[] };
}

describe.each(Object.keys(ENTRY_FILES) as (keyof typeof ENTRY_FILES)[])('NMFKIT_THREADS malformed, %s entry', (entry) => {
  it.each(['abc', '0', '1.5', '99999'])('NMFKIT_THREADS=%s: import works, first use names the variable and value', (value) => {
    const { imported, errors } = withThreads(entry, value);
    expect(imported, errors.join('\n')).toBe(true);
    expect(errors).toHaveLength(2);
    for (const error of errors)
      expect(error).toBe(`RangeError: NMFKIT_THREADS must be an integer in [1, 1024], got ${JSON.stringify(value)}`);
  });
});

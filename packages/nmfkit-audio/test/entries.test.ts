/**
 * What the entries of nmfkit-audio load, as built (dist/, which `npm test` builds first). 'nmfkit-audio' runs in
 * browsers: its modules import no Node built-in, only nmfkit (its public subpaths) and the pure-JavaScript wavefile,
 * fft.js and @tonejs/midi; the file system is 'nmfkit-audio/node''s. And each entry puts in force the memory limit of nmfkit's
 * entry, which the size checks of nmfkit/validation use (as when these functions were part of nmfkit): under
 * the WebAssembly-only entry (`node --no-addons`), 16 GiB is over what a fit there can plan on.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DIST = new URL('../dist/', import.meta.url);
const ENTRIES = { '.': 'index.js', './node': 'node.js', './figures': 'figures/index.js' } as const;

/** The package's own modules an entry loads (following its relative imports) and the bare specifiers they import. */
function moduleGraph(file: string): { modules: string[]; bare: string[] } {
  const seen = new Set<string>();
  const bare = new Set<string>();
  const visit = (url: URL): void => {
    if (seen.has(url.href)) return;
    seen.add(url.href);
    const text = readFileSync(url, 'utf8');
    for (const m of text.matchAll(
      /^\s*(?:import|export)\s[^;'"]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm,
    )) {
      const specifier = (m[1] ?? m[2] ?? m[3])!;
      if (specifier.startsWith('.')) visit(new URL(specifier, url));
      else bare.add(specifier);
    }
  };
  visit(new URL(file, DIST));
  return { modules: [...seen].map((href) => href.slice(DIST.href.length)).sort(), bare: [...bare].sort() };
}

const isBuiltin = (specifier: string): boolean => specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0]!);

describe('the entries as built', () => {
  it("'nmfkit-audio' imports no Node built-in: nmfkit, wavefile, fft.js and @tonejs/midi only", () => {
    const { modules, bare } = moduleGraph(ENTRIES['.']);
    expect(modules).toEqual(expect.arrayContaining(['audio/stft.js', 'audio/wav.js', 'audio/separate.js', 'audio/signal.js']));
    expect(modules.filter((m) => !m.startsWith('audio/') && m !== 'index.js')).toEqual([]);
    expect(bare).toEqual(['@tonejs/midi', 'fft.js', 'nmfkit', 'nmfkit/validation', 'wavefile']);
  });

  it("'nmfkit-audio/node' reads and writes files; 'nmfkit-audio/figures' draws in Node", () => {
    expect(moduleGraph(ENTRIES['./node']).bare.filter(isBuiltin)).toEqual(['node:fs/promises']);
    const figures = moduleGraph(ENTRIES['./figures']);
    expect(figures.bare).toEqual(expect.arrayContaining(['pureimage', 'pngjs', 'nmfkit/validation']));
    expect(figures.bare.filter(isBuiltin)).toEqual(['node:module']);
  });

  it('package.json exports exactly these entries', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { exports: Record<string, unknown> };
    expect(Object.keys(pkg.exports).sort()).toEqual([...Object.keys(ENTRIES), './package.json'].sort());
    for (const [key, file] of Object.entries(ENTRIES)) {
      expect(pkg.exports[key]).toEqual({ types: `./dist/${file.replace(/\.js$/, '.d.ts')}`, default: `./dist/${file}` });
    }
  });

  it.each(Object.entries(ENTRIES))("%s puts nmfkit's memory limit in force for nmfkit/validation's size checks", (_, file) => {
    const program = `
      await import(${JSON.stringify(new URL(file, DIST).href)});
      const { checkedLength } = await import('nmfkit/validation');
      try {
        checkedLength('samples', 2 ** 31 - 1);
        console.log('no limit');
      } catch (error) {
        console.log(error.name + ': ' + error.message);
      }
    `;
    const out = execFileSync(process.execPath, ['--no-addons', '--input-type=module', '-e', program], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      encoding: 'utf8',
    });
    expect(out.trim()).toBe(
      'RangeError: samples is too large: 2147483647 entries need 16.0 GiB as float64, more than the 12.0 GiB a fit can plan ' +
        'on with the WebAssembly backend, whose memory holds at most 4 GiB',
    );
  });
});

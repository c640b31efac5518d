/**
 * The documentation as shipped: README.md stays a front door (at most 12 KB), every relative link in README.md,
 * PERFORMANCE.md and docs/*.md points at a file that exists (and, with a #fragment into a Markdown file, at one of
 * its headings), and every file those pages link to is in package.json "files", so the links also resolve inside
 * the published tarball. The link checker is exercised on made-up pages first, so a checker that finds nothing
 * cannot pass for a documentation without broken links.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const README_LIMIT = 12 * 1024;

/** Markdown without fenced code blocks and inline code spans, where a `[x](y)` is text, not a link. */
function withoutCode(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/(`+)[\s\S]*?\1/g, '');
}

/** The targets of the inline links and images, and of the reference definitions, of a Markdown text. */
function linkTargets(markdown: string): string[] {
  const text = withoutCode(markdown);
  const targets: string[] = [];
  for (const m of text.matchAll(/!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) targets.push(m[1]!);
  for (const m of text.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/gm)) targets.push(m[1]!);
  return targets;
}

/** GitHub's anchor of a heading: inline markup dropped, lower case, punctuation removed, spaces to hyphens. */
function headingSlug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*_~]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a Markdown text's headings (a repeated heading gets -1, -2, … as on GitHub). */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  const text = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  for (const m of text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = headingSlug(m[1]!);
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return out;
}

/** Whether a link leaves the package: a URL with a scheme, or protocol-relative. */
function isExternal(target: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//');
}

/**
 * The broken relative links of one page: `read(path)` gives a file's text (undefined when there is none), paths
 * relative to the root. Returns one line per problem.
 */
function brokenLinks(page: string, read: (path: string) => string | undefined): string[] {
  const source = read(page)!;
  const problems: string[] = [];
  for (const target of linkTargets(source)) {
    if (isExternal(target)) continue;
    const [rawPath, fragment] = target.split('#', 2) as [string, string | undefined];
    const path = rawPath === '' ? page : normalize(join(dirname(page), decodeURIComponent(rawPath))).replace(/\/$/, '');
    if (path.startsWith('..')) {
      problems.push(`${page}: ${target} points outside the package`);
      continue;
    }
    const text = read(path);
    if (text === undefined) {
      problems.push(`${page}: ${target} → ${path} does not exist`);
      continue;
    }
    if (fragment !== undefined && path.endsWith('.md') && !anchors(text).has(fragment)) {
      problems.push(`${page}: ${target} → ${path} has no heading #${fragment}`);
    }
  }
  return problems;
}

/** The files a link may point at (relative paths), resolved against `files` entries of package.json. */
function shippedBy(files: readonly string[], path: string): boolean {
  return files.some((entry) => {
    const e = entry.replace(/^\.\//, '').replace(/\/$/, '');
    return path === e || path.startsWith(`${e}/`);
  });
}

/** A file's text under `root`; '' for a directory (links to folders are allowed), undefined if absent. */
function readUnder(root: string): (path: string) => string | undefined {
  return (path) => {
    const full = join(root, path);
    if (!existsSync(full)) return undefined;
    return statSync(full).isDirectory() ? '' : readFileSync(full, 'utf8');
  };
}
const readRepo = readUnder(ROOT);

const DOC_PAGES = [
  'README.md',
  'PERFORMANCE.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
];
/** The "files" of the package.json in `dir`. */
const filesOf = (dir: string): string[] => (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { files: string[] }).files;
const FILES = filesOf(ROOT);
/** The workspace packages (packages/*), each published with its own README.md. */
const PACKAGES = readdirSync(join(ROOT, 'packages')).map((name) => `packages/${name}`);

describe('the link checker', () => {
  const pages: Record<string, string> = {
    'README.md': [
      '# Title',
      'See [the API](docs/api.md#options), [an image](docs/chart.png), [gone](docs/missing.md), [bad anchor](docs/api.md#nope).',
      '[self](#title), [web](https://example.org/x.md), `[code](docs/missing-in-code.md)`.',
      '```md',
      '[fenced](docs/missing-in-fence.md)',
      '```',
      '[ref]: docs/also-missing.md',
    ].join('\n'),
    'docs/api.md': '# API\n\n## Options\n\n[up](../README.md#title) [out](../../elsewhere.md)\n',
  };
  const read = (path: string): string | undefined => pages[path];

  it('finds missing files, missing headings and links out of the package — and nothing in code or external links', () => {
    expect(brokenLinks('README.md', read)).toEqual([
      'README.md: docs/chart.png → docs/chart.png does not exist',
      'README.md: docs/missing.md → docs/missing.md does not exist',
      'README.md: docs/api.md#nope → docs/api.md has no heading #nope',
      'README.md: docs/also-missing.md → docs/also-missing.md does not exist',
    ]);
    expect(brokenLinks('docs/api.md', read)).toEqual(['docs/api.md: ../../elsewhere.md points outside the package']);
  });

  it('makes anchors as GitHub does', () => {
    expect([...anchors('# `nmfSync(V, options)` and `nmf(V, options)`\n## 2.1 Monotonicity\n## Options\n## Options\n')]).toEqual([
      'nmfsyncv-options-and-nmfv-options',
      '21-monotonicity',
      'options',
      'options-1',
    ]);
    expect(headingSlug('9. Initialisations (`init`)')).toBe('9-initialisations-init');
  });

  it('knows what package.json "files" ships', () => {
    expect(shippedBy(['docs', 'README.md', 'examples/data'], 'docs/api.md')).toBe(true);
    expect(shippedBy(['docs', 'README.md', 'examples/data'], 'examples/data/PROVENANCE.md')).toBe(true);
    expect(shippedBy(['docs', 'README.md', 'examples/data'], 'examples/fmp-toy.js')).toBe(false);
    expect(shippedBy(['docs'], 'docsx/a.md')).toBe(false);
  });
});

describe('the documentation', () => {
  it(`README.md is at most ${README_LIMIT} bytes`, () => {
    const size = statSync(join(ROOT, 'README.md')).size;
    expect(size, `README.md has ${size} bytes; move detail into docs/`).toBeLessThanOrEqual(README_LIMIT);
  });

  it('every relative link of README.md, PERFORMANCE.md and docs/*.md resolves', () => {
    expect(DOC_PAGES).toContain('docs/api.md');
    expect(DOC_PAGES.flatMap((page) => brokenLinks(page, readRepo))).toEqual([]);
  });

  it('package.json "files" ships the pages and every file they link to', () => {
    for (const page of [...DOC_PAGES, 'LICENSE']) expect(shippedBy(FILES, page), `${page} is not in package.json "files"`).toBe(true);
    const linked = new Set<string>();
    for (const page of DOC_PAGES) {
      for (const target of linkTargets(readFileSync(join(ROOT, page), 'utf8'))) {
        if (isExternal(target) || target.startsWith('#')) continue;
        linked.add(relative(ROOT, join(ROOT, dirname(page), decodeURIComponent(target.split('#')[0]!))));
      }
    }
    expect([...linked].filter((path) => !shippedBy(FILES, path))).toEqual([]);
  });
});

describe.each(PACKAGES)('%s/README.md', (dir) => {
  it('every relative link resolves inside the package, and package.json "files" ships it and what it links to', () => {
    const root = join(ROOT, dir);
    expect(brokenLinks('README.md', readUnder(root))).toEqual([]);
    const files = filesOf(root);
    expect(shippedBy(files, 'README.md')).toBe(true);
    const linked = linkTargets(readFileSync(join(root, 'README.md'), 'utf8'))
      .filter((target) => !isExternal(target) && !target.startsWith('#'))
      .map((target) => normalize(decodeURIComponent(target.split('#')[0]!)));
    expect(linked.length).toBeGreaterThan(0);
    expect(linked.filter((path) => !shippedBy(files, path))).toEqual([]);
  });
});

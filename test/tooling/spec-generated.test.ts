/**
 * native/spec.h and assembly/spec.ts are generated from src/spec.ts's table and committed: they must be what the
 * generator writes now. The check is shown to fail on a copy whose table gained a field. The fuzz harnesses' own
 * table of slot kinds (fuzz/native/glue-spec.h) must agree with it too.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const generator = join(root, 'scripts', 'generate-spec.mjs');
const check = (dir: string) => spawnSync(process.execPath, [generator, '--check', '--root', dir], { encoding: 'utf8' });

describe('the generated specification files', () => {
  const copy = mkdtempSync(join(tmpdir(), 'nmfkit-spec-check-'));
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  it('are current', () => {
    const run = check(root);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('--check fails, naming both files, when the table changed and they were not regenerated', () => {
    for (const dir of ['src', 'native', 'assembly']) mkdirSync(join(copy, dir));
    cpSync(join(root, 'src', 'spec.ts'), join(copy, 'src', 'spec.ts'));
    cpSync(join(root, 'native', 'spec.h'), join(copy, 'native', 'spec.h'));
    cpSync(join(root, 'assembly', 'spec.ts'), join(copy, 'assembly', 'spec.ts'));
    expect(check(copy).status).toBe(0);
    const table = readFileSync(join(copy, 'src', 'spec.ts'), 'utf8');
    const added = table.replace(
      "  { name: 'rows', type: 'size',",
      "  { name: 'extra', type: 'real', doc: 'A new field.' },\n  { name: 'rows', type: 'size',",
    );
    expect(added).not.toBe(table);
    writeFileSync(join(copy, 'src', 'spec.ts'), added);
    const run = check(copy);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/native\/spec\.h is not current/);
    expect(run.stderr).toMatch(/assembly\/spec\.ts is not current/);
  });
});

/** The fuzz harnesses' own table of slot kinds (fuzz/native/glue-spec.h, kSlotKinds), as [type, choices] pairs. */
function fuzzSlotKinds(text: string): [string, number][] {
  const table = /kSlotKinds\[\] = \{([^;]*)\};/.exec(text);
  if (!table) throw new Error('kSlotKinds not found in fuzz/native/glue-spec.h');
  return [...table[1]!.matchAll(/\{'(\w)', (\d+)\}/g)].map((m) => [m[1]!, Number(m[2])]);
}

describe("the fuzz harnesses' table of slot kinds", () => {
  it('is the specification table: one entry per field, its kind, and for a choice its number of values', async () => {
    const { FIT_SPEC_FIELDS } = await import('../../src/spec.js');
    const expected = FIT_SPEC_FIELDS.map((f): [string, number] => [f.type[0]!, f.type === 'choice' ? f.values!.length : 0]);
    expect(fuzzSlotKinds(readFileSync(join(root, 'fuzz', 'native', 'glue-spec.h'), 'utf8'))).toEqual(expected);
  });
});

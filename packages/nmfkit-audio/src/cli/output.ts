/**
 * Writing the CLI's output files. The CLI writes only files it creates or regular files it overwrites: a symbolic
 * link already in --out (planted by someone else, pointing anywhere) is refused instead of followed, since
 * following it would let whoever can write into --out redirect the CLI's writes to any file its user may change.
 */
import { constants, lstatSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { InputError } from './errors.js';

/** Writes `bytes` to `path` (created or truncated), never through a symbolic link. */
export async function writeOutput(path: string, bytes: string | Uint8Array): Promise<void> {
  const file = await openOutput(path);
  try {
    await file.writeFile(bytes);
  } catch (error) {
    throw writeError(path, error);
  } finally {
    await file.close();
  }
}

/** `path` opened for writing (created or truncated), never through a symbolic link; the caller closes it. */
export async function openOutput(path: string): Promise<FileHandle> {
  const { O_WRONLY, O_CREAT, O_TRUNC, O_NOFOLLOW } = constants;
  // Where the platform has no O_NOFOLLOW (Windows), the link is looked for first.
  if (O_NOFOLLOW === undefined) refuseLink(path);
  try {
    return await open(path, O_WRONLY | O_CREAT | O_TRUNC | (O_NOFOLLOW ?? 0), 0o666);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ELOOP on Linux and macOS, EMLINK on FreeBSD: the last component is a symbolic link.
    if (code === 'ELOOP' || code === 'EMLINK') throw linkError(path, error);
    throw writeError(path, error);
  }
}

/** A failed write of `path`, as the CLI reports it. */
export function writeError(path: string, error: unknown): InputError {
  return new InputError(`cannot write ${path}: ${reason(error)}`, { cause: error });
}

function refuseLink(path: string): void {
  let link = false;
  try {
    link = lstatSync(path).isSymbolicLink();
  } catch {
    // Nothing there yet: it will be created.
  }
  if (link) throw linkError(path);
}

function linkError(path: string, cause?: unknown): InputError {
  return new InputError(`refusing to write ${path}: it is a symbolic link, and nmfkit writes no file through a link it did not create`, {
    cause,
  });
}

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EISDIR') return 'is a directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOSPC') return 'no space left on the device';
  return (error as Error).message;
}

/**
 * The nmfkit command run in-process through `run(argv, io)`, its stdout and stderr captured; `tty` makes stderr
 * claim to be a terminal (progress bars are drawn only there).
 */
import { run } from '../../src/cli/main.js';

export interface Outcome {
  code: number;
  out: string;
  err: string;
}

export async function cli(args: string[], tty = false): Promise<Outcome> {
  let out = '';
  let err = '';
  const stdout = { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream;
  const stderr = {
    write: (s: string) => ((err += s), true),
    isTTY: tty,
    columns: 100,
    cursorTo: () => true,
    moveCursor: () => true,
    clearLine: () => true,
    clearScreenDown: () => true,
    on: () => stderr,
    removeListener: () => stderr,
  } as unknown as NodeJS.WriteStream;
  const code = await run(args, { stdout, stderr });
  return { code, out, err };
}

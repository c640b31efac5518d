#!/usr/bin/env node
// The nmfkit command line: everything lives in dist/cli/main.js (built from src/cli/main.ts).
import { run } from '../dist/cli/main.js';

// A closed pipe (`nmfkit demo | head`) ends the output, not the process with a stack trace.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});
process.exitCode = await run(process.argv.slice(2));

/** The Node runtime: native addon or wasm (select.ts), admission by the thread policy (schedule.ts, threads.ts). */
import { chooseBackend } from './backends/select.js';
import type { Runtime } from './runtime.js';
import { applyBlasThreads, scheduled } from './schedule.js';
import { threadSettings } from './threads.js';

export const nodeRuntime: Runtime = {
  chooseBackend,
  scheduled,
  beforeSync: (backend) => {
    if (backend === 'native') applyBlasThreads();
  },
  concurrency: () => threadSettings().fits,
};

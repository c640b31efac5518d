// A module Web Worker of the browser test page: imports nmfkit's browser entry, waits for ready(), fits the
// fixtures it is sent with nmfSync (and once with nmf, which from a worker runs in a nested worker or inline), and
// posts the results back.
import { backendInfo, nmf, nmfSync, ready } from '../../dist/browser.js';
import { optionsOf, plain } from './harness-shared.js';

self.onmessage = async ({ data: { fixtures } }) => {
  try {
    await ready();
    const sync = fixtures.map((f) => plain(nmfSync(f.input.V, optionsOf(f))));
    const async = plain(await nmf(fixtures[0].input.V, optionsOf(fixtures[0])));
    self.postMessage({ ok: true, info: backendInfo(), sync, async });
  } catch (error) {
    self.postMessage({ ok: false, message: String(error?.stack ?? error) });
  }
};

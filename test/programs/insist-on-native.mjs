// Run with NMFKIT_BACKEND=native where the native backend cannot load (`node --no-addons`): ready() and a fit must
// both fail loudly, with the same error, instead of silently using wasm. Reports both outcomes.
import { nmfSync, ready } from 'nmfkit';

const message = (e) => `${e.constructor.name}: ${e.message}`;
const readied = await ready().then(
  () => ({ ok: true }),
  (e) => ({ ok: false, message: message(e) }),
);
let fit;
try {
  nmfSync(
    [
      [1, 2],
      [3, 4],
    ],
    { rank: 1 },
  );
  fit = { ok: true };
} catch (e) {
  fit = { ok: false, message: message(e) };
}
console.log(JSON.stringify({ ready: readied, fit }));

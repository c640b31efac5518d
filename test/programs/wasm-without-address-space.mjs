// Run by test/reliability/wasm-no-memory.test.ts under `ulimit -v`: the WebAssembly instance cannot reserve its
// memory, and backendInfo() must say so (not suggest rebuilding the module). Prints backendInfo().wasm as JSON.
import { backendInfo, ready } from 'nmfkit';

try {
  await ready();
} catch {
  // backendInfo() carries the reason either way.
}
console.log(JSON.stringify(backendInfo().wasm));

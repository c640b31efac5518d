/**
 * `import wasm from 'nmfkit/nmfkit.wasm'`: nmfkit's WebAssembly module (wasm/nmfkit.wasm), compiled, as runtimes
 * and bundlers that import .wasm files as modules provide it — Cloudflare workerd (wrangler), Vercel Edge,
 * webpack's and esbuild's wasm module support. Pass it to `ready({ module })` of the WebAssembly-only entry, which
 * then fetches and compiles nothing (workerd forbids compiling bytes at run time).
 */
declare const nmfkitWasm: WebAssembly.Module;
export default nmfkitWasm;

// What machine a result was measured on; recorded with every result.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

function cpuinfo() {
  try {
    const text = readFileSync('/proc/cpuinfo', 'utf8');
    const first = text.split('\n\n')[0];
    const field = (name) => first.match(new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm'))?.[1]?.trim();
    const flags = (field('flags') ?? '').split(/\s+/);
    return {
      vendor: field('vendor_id'),
      family: field('cpu family'),
      modelNumber: field('model'),
      mhz: Number(field('cpu MHz')) || undefined,
      cache: field('cache size'),
      simd: ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f'].filter((f) => flags.includes(f)),
      hypervisor: flags.includes('hypervisor'),
    };
  } catch {
    return {};
  }
}

function git() {
  const run = (...args) =>
    execFileSync('git', args, { cwd: new URL('../..', import.meta.url), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    return { commit: run('rev-parse', 'HEAD'), dirty: run('status', '--porcelain', '--untracked-files=no') !== '' };
  } catch {
    return undefined;
  }
}

export function describeMachine(backendInfo) {
  const cpus = os.cpus();
  return {
    cpu: {
      model: cpus[0]?.model ?? 'unknown',
      logicalCores: cpus.length,
      availableParallelism: os.availableParallelism?.() ?? cpus.length,
      ...cpuinfo(),
    },
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    v8: process.versions.v8,
    blas: backendInfo.native.loaded ? backendInfo.native.blas : { unavailable: backendInfo.native.reason },
    wasm: backendInfo.wasm.loaded ? { simd: backendInfo.wasm.simd } : { unavailable: backendInfo.wasm.reason },
    env: Object.fromEntries(
      ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE', 'OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'NMFKIT_BACKEND'].map((k) => [
        k,
        process.env[k] ?? null,
      ]),
    ),
    git: git(),
  };
}

export function loadAverage() {
  const [one, five, fifteen] = os.loadavg();
  return { one, five, fifteen };
}

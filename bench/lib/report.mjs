// Derived figures (GFLOP/s, GB/s, ratios), the performance targets, and the text table.
import { flopsPerIteration, vBytesPerIteration } from './problems.mjs';

/**
 * Adds msPerIteration, gflops, peakFraction, vGBps, ratioToBestPeer, ratioToSklearn, ratioToNumpy and ratioToFloor
 * (÷ the BLAS floor of the row's dtype on every core, the 2-thread floor on a 2-core machine) to every measured row.
 */
export function deriveProblem(problem, rows, peaks, defaultThreads) {
  const flops = flopsPerIteration(problem);
  const ok = rows.filter((r) => r.status === 'ok');
  const peers = ok.filter((r) => r.kind === 'peer');
  const bestPeer = peers.reduce((best, r) => (!best || r.secondsPerIteration < best.secondsPerIteration ? r : best), undefined);
  const sklearn = peers.find((r) => r.id === 'sklearn');
  const numpy = peers.find((r) => r.id === 'numpy');
  const floorOf = (dtype) => {
    const d = dtype === 'float32' ? 'f32' : 'f64';
    return ok.find((r) => r.id === `floor-${d}-mt`) ?? ok.find((r) => r.id === `floor-${d}-1t`);
  };
  // The check: ‖V − WH‖_F after n iterations. Rows with libfmp's update order (all but scikit-learn, which
  // updates W first) must agree with the reference to 1e-6 relative in float64, 1e-2 in float32.
  const reference = ok.find((r) => r.id === 'numpy' && r.check) ?? ok.find((r) => r.id === 'native-f64-1t' && r.check);
  for (const row of rows) {
    if (row.status !== 'ok') continue;
    const s = row.secondsPerIteration;
    row.msPerIteration = s * 1e3;
    row.gflops = flops / s / 1e9;
    const threads = row.threads ?? defaultThreads;
    const peak = peaks?.[`${row.dtype}@${threads}`]?.gflops;
    row.peakFraction = peak ? row.gflops / peak : null;
    row.vBytesPerIteration = vBytesPerIteration(problem, row.dtype, row.vPasses);
    row.vGBps = row.vBytesPerIteration / s / 1e9;
    row.ratioToBestPeer = bestPeer ? s / bestPeer.secondsPerIteration : null;
    row.ratioToSklearn = sklearn ? s / sklearn.secondsPerIteration : null;
    row.ratioToNumpy = numpy ? s / numpy.secondsPerIteration : null;
    const floor = floorOf(row.dtype);
    row.ratioToFloor = floor ? s / floor.secondsPerIteration : null;
    row.floorReference = floor?.id ?? null;
    if (row.check?.frobenius !== undefined && reference?.check) {
      const dev = Math.abs(row.check.frobenius - reference.check.frobenius) / reference.check.frobenius;
      row.check.relativeToReference = dev;
      row.check.reference = reference.id;
      // float64 in libfmp's order: same arithmetic up to rounding. float32: a sanity bound only.
      row.check.ok = row.id === 'sklearn' ? null : row.dtype === 'float64' ? dev <= 1e-6 : dev <= 1e-2;
    }
  }
  return {
    flopsPerIteration: flops,
    bestPeer: bestPeer?.id ?? null,
    checkFailures: rows.filter((r) => r.check?.ok === false).map((r) => r.id),
  };
}

// `native-f64` / `native-f32` in a target mean the native row at nmfkit's defaults (isDefault: the team nmfkit
// gives a lone fit, on its default BLAS threads).
const TARGETS = [
  {
    id: 'spectrogram-native-f64',
    text: 'spectrogram: native float64 ≤ 0.5× scikit-learn per iteration',
    problem: 'spectrogram',
    row: 'native-f64',
    versus: 'sklearn',
    max: 0.5,
  },
  {
    id: 'spectrogram-native-f32',
    text: 'spectrogram: native float32 ≤ 0.3× scikit-learn per iteration',
    problem: 'spectrogram',
    row: 'native-f32',
    versus: 'sklearn',
    max: 0.3,
  },
  {
    id: 'small-native',
    text: 'small: native ≤ 0.2× scikit-learn per iteration',
    problem: 'small',
    row: 'native-f64',
    versus: 'sklearn',
    max: 0.2,
  },
  {
    id: 'wasm-f32-vs-js',
    text: 'WASM float32 ≥ 10× faster than the ml-matrix JS peer on every problem',
    problem: '*',
    row: 'wasm-f32',
    versus: 'ml-matrix',
    max: 0.1,
  },
  {
    id: 'wasm-f64-vs-native-1t',
    text: 'WASM float64 within 4× of native float64 single-threaded on every problem',
    problem: '*',
    row: 'wasm-f64',
    versus: 'native-f64-1t',
    max: 4,
  },
];

const ALL_PROBLEMS = 5;

function findRow(problem, id) {
  const m = /^native-(f64|f32)$/.exec(id);
  if (!m) return problem.rows.find((r) => r.id === id);
  return (
    problem.rows.find((r) => r.isDefault && r.id.startsWith(`native-${m[1]}-`)) ?? problem.rows.find((r) => r.id === `native-${m[1]}-1t`)
  );
}

/**
 * Each target: the ratio (row time / versus time) per problem. met: true when every problem in its scope was
 * measured and all ratios are ≤ max; false when any measured ratio is > max; null otherwise (not measured, or a
 * partial run that holds so far).
 */
export function evaluateTargets(problems) {
  return TARGETS.map((t) => {
    const scope = problems.filter((p) => t.problem === '*' || p.name === t.problem);
    const ratios = {};
    const rows = {};
    const missing = [];
    for (const p of scope) {
      const row = findRow(p, t.row);
      const versus = findRow(p, t.versus);
      if (row?.status === 'ok' && versus?.status === 'ok') {
        ratios[p.name] = row.secondsPerIteration / versus.secondsPerIteration;
        rows[p.name] = row.id;
      } else
        missing.push(
          `${p.name}: ${row?.status !== 'ok' ? `${t.row} ${row?.status ?? 'absent'}` : `${t.versus} ${versus?.status ?? 'absent'}`}`,
        );
    }
    const values = Object.values(ratios);
    const complete = scope.length > 0 && missing.length === 0 && (t.problem !== '*' || scope.length === ALL_PROBLEMS);
    const met = values.some((v) => v > t.max) ? false : complete ? true : null;
    const note =
      t.problem === '*' && scope.length < ALL_PROBLEMS ? `only ${scope.length} of ${ALL_PROBLEMS} problems in this run` : undefined;
    return { id: t.id, text: t.text, ratio: `${t.row} / ${t.versus}`, max: t.max, ratios, rows, met, missing, note };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Text output.

export function fmt(x, digits = 3) {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  if (x === 0) return '0';
  const abs = Math.abs(x);
  if (abs >= 10 ** digits) return x.toFixed(0);
  return x.toPrecision(digits);
}

function pad(s, n, right = false) {
  s = String(s);
  return right ? s.padStart(n) : s.padEnd(n);
}

export function problemTitle(p) {
  return `${p.name} ${p.K}×${p.N} R=${p.R}`;
}

export function formatProblemTable(p) {
  const lines = [];
  lines.push(
    `${problemTitle(p)} — ${p.iterations} iterations per timing, ${fmt(p.flopsPerIteration / 1e6)} MFLOP/iter, V ${fmt((p.K * p.N * 8) / 1e6)} MB (float64)`,
  );
  const header = [
    'implementation',
    'dtype',
    'thr',
    'ms/iter',
    'GFLOP/s',
    '%peak',
    'GB/s V',
    '×best peer',
    '×sklearn',
    '×numpy',
    '×floor',
    'reps',
  ];
  const widths = [34, 7, 3, 10, 8, 6, 7, 10, 8, 7, 7, 4];
  lines.push(header.map((h, i) => pad(h, widths[i], i >= 2)).join('  '));
  for (const r of p.rows) {
    const cells =
      r.status === 'ok'
        ? [
            r.isDefault ? `${r.label} *` : r.label,
            r.dtype,
            r.threads ?? '',
            fmt(r.msPerIteration, 4),
            fmt(r.gflops),
            r.peakFraction === null ? '—' : `${(r.peakFraction * 100).toFixed(0)}%`,
            fmt(r.vGBps),
            fmt(r.ratioToBestPeer),
            fmt(r.ratioToSklearn),
            fmt(r.ratioToNumpy),
            fmt(r.ratioToFloor),
            r.repeats,
          ]
        : [r.label, r.dtype, '', r.status, '', '', '', '', '', '', '', ''];
    let line = cells.map((c, i) => pad(c, widths[i], i >= 2)).join('  ');
    if (r.status !== 'ok' && r.note) line = `${line.trimEnd()}  (${r.note})`;
    if (r.threadsNote) line += `  (${r.threadsNote})`;
    if (r.marginalSecondsPerIteration !== undefined)
      line += `  (marginal ${fmt(r.marginalSecondsPerIteration * 1e3, 4)} ms/iter + ${fmt(r.fixedSeconds * 1e3)} ms fixed per call)`;
    if (r.check?.ok === false)
      line += `  CHECK FAILED: ‖V−WH‖_F differs from ${r.check.reference} by ${r.check.relativeToReference.toExponential(1)}`;
    lines.push(line);
  }
  return lines.join('\n');
}

export function formatTargets(targets) {
  return targets
    .map((t) => {
      const mark = t.met === true ? 'MET    ' : t.met === false ? 'MISSED ' : Object.keys(t.ratios).length ? 'partial' : 'n/a    ';
      const values = Object.entries(t.ratios)
        .map(([k, v]) => `${k} ${fmt(v)}`)
        .join(', ');
      const extra = [
        values && `${t.ratio} = ${values} (need ≤ ${t.max})`,
        t.missing.length ? `not measured: ${t.missing.join('; ')}` : '',
        t.note ?? '',
      ]
        .filter(Boolean)
        .join('; ');
      return `${mark} ${t.text}${extra ? `\n         ${extra}` : ''}`;
    })
    .join('\n');
}

/** The slowest and the fastest pass of a throughput row, in fits per second ("a–b"; one figure for one pass). */
function passRange(row) {
  const rates = (row.passSeconds ?? [row.seconds]).map((s) => row.count / s);
  const [low, high] = [Math.min(...rates), Math.max(...rates)];
  return low === high ? fmt(low, 4) : `${fmt(low, 4)}–${fmt(high, 4)}`;
}

export function formatThroughput(throughput) {
  if (!throughput) return '';
  const lines = [`throughput: ${throughput.description}`];
  for (const r of throughput.rows) {
    const what = `${pad(r.mode, 20)} ${pad(r.backend, 6)}`;
    const ratio = Number.isFinite(r.ratioToSklearn) && r.backend !== 'python' ? `, ${fmt(r.ratioToSklearn)}× scikit-learn's time` : '';
    lines.push(
      r.status === 'ok'
        ? `  ${what} ${pad(fmt(r.fitsPerSecond, 4), 8, true)} fits/s  (${fmt(r.msPerFit)} ms/fit, ${fmt(r.seconds)} s, passes ${passRange(r)} fits/s${ratio})`
        : `  ${what} ${r.status} (${r.note})`,
    );
  }
  return lines.join('\n');
}

/** A grid as text (columns padded) or as a Markdown table: the first `left` columns left-aligned, the rest right. */
function grid(header, body, markdown, left = 1) {
  if (markdown) {
    const align = header.map((_, i) => (i < left ? '---' : '--:'));
    return [`| ${header.join(' | ')} |`, `|${align.join('|')}|`, ...body.map((cells) => `| ${cells.join(' | ')} |`)];
  }
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => String(cells[i]).length)));
  return [header, ...body].map((cells) =>
    cells
      .map((c, i) => pad(c, widths[i], i >= left))
      .join('  ')
      .trimEnd(),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Time to solution and time to a target objective (bench/lib/solution.mjs).

const callCell = (r) =>
  r?.status === 'ok' ? `${fmt(r.msPerCall)}${Number.isFinite(r.ratioToPeer) ? ` (${fmt(r.ratioToPeer)}×)` : ''}` : (r?.status ?? '—');

export function formatSolution(part, markdown = false) {
  const title =
    "time to solution — whole calls from the same W0/H0 for the same iterations, ms per call (median), × the peer's in parentheses; nmfkit at its defaults (its own threads, errorEvery, spectralError) with stop 'none'";
  const lines = [markdown ? `**${title}**` : title, ''];
  const header = ['problem', 'algorithm', 'dtype', 'iter', ...part.calls.map((c) => c.label), 'peer'];
  const body = [];
  for (const p of part.problems) {
    for (const alg of part.algorithms) {
      for (const dtype of part.dtypes) {
        const cells = part.rows.filter((r) => r.problem === p.name && r.algorithm === alg.id && r.dtype === dtype);
        if (!cells.length) continue;
        const peer = cells.find((r) => r.implementation === 'peer');
        body.push([
          `${p.name} ${p.K}×${p.N} R=${p.R}${p.nativeTeam ? ` (team ${p.nativeTeam})` : ''}`,
          alg.label,
          dtype === 'float32' ? 'f32' : 'f64',
          cells[0].iterations,
          ...part.calls.map((c) => callCell(cells.find((r) => r.implementation === c.id))),
          peer?.status === 'ok' ? fmt(peer.msPerCall) : (peer?.status ?? '—'),
        ]);
      }
    }
  }
  lines.push(...grid(header, body, markdown, 2));
  const peers = [...new Set(part.rows.filter((r) => r.peer).map((r) => r.peer))];
  const peerThreads = part.rows.find((r) => r.implementation === 'peer' && r.threads)?.threads;
  lines.push(
    '',
    `peers: ${peers.join('; ')}${peerThreads ? ` (numpy's BLAS on ${peerThreads} threads)` : ''}; the same dtype as the row. no spectral: spectralError: false. team: the native fit's threads nmfkit chose; wasm runs on the calling thread (await nmf: in a worker).`,
  );
  const notes = part.rows.filter((r) => r.status !== 'ok').map((r) => `${r.label}: ${r.status} (${r.note})`);
  if (notes.length) lines.push(...notes.map((n) => (markdown ? `- ${n}` : `  ${n}`)));
  return lines.join('\n');
}

export function formatTarget(part, markdown = false) {
  const { problem, peer } = part;
  const target = Number.isFinite(part.target) ? `target ½‖V − WH‖²_F = ${fmt(part.target, 6)}` : 'no target';
  const title = `time to scikit-learn cd's objective after ${part.peerIterations} iterations — ${problemTitle(problem)} from W0/H0, ${target}; nmfkit ${part.backend} ${part.dtype}, team of ${part.threads}, at its defaults (stop 'none')`;
  const lines = [markdown ? `**${title}**` : title, ''];
  const header = ['fit', 'iterations to target', 'ms per call (× peer)', 'spectralError: false (× peer)', 'objective ÷ target'];
  const body = part.rows.map((r) => {
    if (r.status === 'not reached')
      return [r.label, `> ${r.cap}`, `> ${fmt(r.searchSeconds * 1e3)} (not reached)`, '—', fmt(r.objectiveRatio, 6)];
    if (r.status !== 'ok') return [r.label, r.status, '', '', ''];
    return [r.label, r.iterationsToTarget, callCell(r), callCell(r.spectralErrorFalse), fmt(r.objectiveRatio, 6)];
  });
  body.push([peer.label, peer.iterations, peer.status === 'ok' ? fmt(peer.msPerCall) : peer.status, '—', peer.status === 'ok' ? '1' : '']);
  lines.push(...grid(header, body, markdown));
  lines.push(
    '',
    `iterations to target: the first iteration whose objective is ≤ the target (one untimed call, errorEvery 1, stopped by onIteration, at most ${part.cap}); then whole nmfSync calls of exactly that many iterations, timed. "> t (not reached)": that untimed call's wall time for ${part.cap} iterations, one per kernel call.`,
  );
  const notes = [...part.rows, peer].filter((r) => r.status !== 'ok' && r.status !== 'not reached' && r.note);
  if (notes.length) lines.push(...notes.map((r) => (markdown ? `- ${r.label}: ${r.note}` : `  ${r.label}: ${r.note}`)));
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// The algorithms part (text and Markdown): one grid per figure, algorithms × implementations, the peer last.

const ms = (seconds) => fmt(seconds * 1e3);
const timesPeer = (r, ratio) => (r.implementation !== 'peer' && Number.isFinite(ratio) ? ` (${fmt(ratio)}×)` : '');

const ALGORITHM_GRIDS = [
  {
    title: () =>
      "ms per iteration in the loop, no objective evaluated (nmfkit: onIteration timestamps; peer: marginal cost), × the peer's in parentheses",
    cell: (r) => `${ms(r.loopSecondsPerIteration)}${timesPeer(r, r.loopRatioToPeer)}`,
  },
  {
    title: (a) => `ms per iteration of the whole call: total ÷ ${a.iterations} (× the peer's)`,
    cell: (r) => `${fmt(r.msPerIteration)}${timesPeer(r, r.ratioToPeer)}`,
  },
  {
    title: (a) => `fixed ms per call: total − ${a.iterations} × loop (validation, copies, final errors)`,
    cell: (r) => ms(r.fixedSeconds),
  },
  {
    title: () => "ms per iteration in the loop at nmfkit's default errorEvery (1 for Euclidean without mask, else 10)",
    cell: (r) => ms(r.defaultErrorEvery?.loopSecondsPerIteration),
  },
  {
    title: (a) => `objective after ${a.iterations} iterations ÷ the peer's (peer column: its objective)`,
    cell: (r) => fmt(r.implementation === 'peer' ? r.objective : r.objectiveRatio, 6),
  },
];

export function formatAlgorithms(part, markdown = false) {
  const { problem, iterations } = part;
  const ids = [...part.implementations.map((i) => i.id), 'peer'];
  const header = ['algorithm', ...part.implementations.map((i) => i.label), 'peer'];
  const rowOf = (alg, id) => part.rows.find((r) => r.algorithm === alg.id && r.implementation === id);
  const threads = (id) => part.rows.find((r) => r.implementation === id && r.threads)?.threads ?? '?';
  const title = `algorithms on ${problemTitle(problem)} — ${iterations} iterations per timing from the same W0/H0, stop 'none', through nmfSync at nmfkit's default threads (native: a team of ${threads('native-f64')}; peer: ${threads('peer')} BLAS threads)`;
  const lines = [markdown ? `**${title}**` : title];
  for (const figure of ALGORITHM_GRIDS) {
    const body = part.algorithms.map((alg) => [
      alg.label,
      ...ids.map((id) => {
        const r = rowOf(alg, id);
        return r?.status === 'ok' ? figure.cell(r) : (r?.status ?? '—');
      }),
    ]);
    lines.push('', markdown ? `*${figure.title(part)}*` : figure.title(part));
    lines.push(...(markdown ? [''] : []), ...grid(header, body, markdown));
  }
  lines.push('', `peers: ${part.algorithms.map((alg) => `${alg.label}: ${rowOf(alg, 'peer')?.label ?? '—'}`).join('; ')}.`);
  const notes = part.rows.filter((r) => r.status !== 'ok').map((r) => `${r.label}: ${r.status} (${r.note})`);
  if (notes.length) lines.push(...notes.map((n) => (markdown ? `- ${n}` : `  ${n}`)));
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Markdown (latest.md), for PERFORMANCE.md.

export function formatMarkdown(results) {
  const m = results.machine;
  const lines = [];
  const peaks = m.peaks ?? {};
  const peak = (k) => (peaks[k] ? `${fmt(peaks[k].gflops)} GFLOP/s` : '—');
  lines.push(
    `Measured ${results.date.slice(0, 16).replace('T', ' ')} UTC${results.quick ? ' (QUICK run)' : ''} on ${m.cpu.model} (family ${m.cpu.family ?? '?'} model ${m.cpu.modelNumber ?? '?'}${m.cpu.hypervisor ? ', virtualised' : ''}), ${m.cpu.logicalCores} cores, ${m.memoryGiB} GiB, ${m.os}; Node ${m.node}; ` +
      `native BLAS ${m.blas.vendor ?? '—'} ${m.blas.version ?? ''} (\`${m.blas.config ?? ''}\`); ml-matrix ${m.mlMatrix}; ` +
      (m.python?.executable
        ? `Python ${m.python.version} (${m.python.executable}), numpy ${m.python.numpy}, scikit-learn ${m.python.sklearn ?? 'missing'}, numpy's BLAS: ${m.python.blas}.`
        : `${m.python?.note ?? 'no Python peers'}.`) +
      (Object.keys(m.blasOverridesDropped ?? {}).length > 0
        ? ` OpenBLAS overrides dropped for nmfkit and the peers alike: ${Object.entries(m.blasOverridesDropped)
            .map(([name, value]) => `${name}=${value}`)
            .join(', ')}.`
        : ''),
  );
  lines.push('');
  lines.push(
    `Measured GEMM peak (${peaks.method ?? 'not measured'}): DGEMM ${peak('float64@1')} on 1 thread, ${peak(`float64@${results.threads.cores}`)} on ${results.threads.cores}; ` +
      `SGEMM ${peak('float32@1')} on 1 thread, ${peak(`float32@${results.threads.cores}`)} on ${results.threads.cores}. ` +
      `Load average ${results.load.start.one.toFixed(2)} at the start, ${results.load.end.one.toFixed(2)} at the end; the run took ${results.seconds.toFixed(0)} s.`,
  );
  lines.push('');
  for (const p of results.problems) {
    lines.push(`**${problemTitle(p)}** — ${p.iterations} iterations per timing, ${fmt(p.flopsPerIteration / 1e6)} MFLOP per iteration`);
    lines.push('');
    lines.push('| implementation | thr | ms/iter | GFLOP/s | % of peak | GB/s of V | × best peer | × sklearn | × numpy | × floor |');
    lines.push('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
    for (const r of p.rows) {
      const label = r.isDefault ? `${r.label} (default)` : r.label;
      if (r.status !== 'ok') {
        lines.push(`| ${label} | | ${r.status} | | | | | | | |`);
        continue;
      }
      const pct = r.peakFraction === null ? '—' : `${(r.peakFraction * 100).toFixed(0)}%`;
      lines.push(
        `| ${label} | ${r.threads ?? ''} | ${fmt(r.msPerIteration, 4)} | ${fmt(r.gflops)} | ${pct} | ${fmt(r.vGBps)} | ${fmt(r.ratioToBestPeer)} | ${fmt(r.ratioToSklearn)} | ${fmt(r.ratioToNumpy)} | ${fmt(r.ratioToFloor)} |`,
      );
    }
    const sk = p.rows.find((r) => r.id === 'sklearn' && r.marginalSecondsPerIteration !== undefined);
    if (sk) {
      lines.push('');
      lines.push(
        `scikit-learn's figure is fit_transform's total / ${p.iterations}; split, it is ${fmt(sk.marginalSecondsPerIteration * 1e3, 4)} ms per iteration plus ${fmt(sk.fixedSeconds * 1e3)} ms fixed per call.`,
      );
    }
    lines.push('');
  }
  if (results.solution) lines.push(formatSolution(results.solution, true), '');
  if (results.target) lines.push(formatTarget(results.target, true), '');
  if (results.algorithms) lines.push(formatAlgorithms(results.algorithms, true), '');
  if (results.throughput) {
    lines.push(`**Throughput** — ${results.throughput.description}`);
    lines.push('');
    lines.push("| call | backend | fits/s | passes (fits/s) | ms per fit | × scikit-learn's time |");
    lines.push('|---|---|--:|--:|--:|--:|');
    for (const r of results.throughput.rows) {
      const call = r.backend === 'python' ? r.mode : `\`${r.mode}\``;
      lines.push(
        r.status === 'ok'
          ? `| ${call} | ${r.backend} | ${fmt(r.fitsPerSecond, 4)} | ${passRange(r)} | ${fmt(r.msPerFit)} | ${fmt(r.ratioToSklearn)} |`
          : `| ${call} | ${r.backend} | ${r.status} | | | |`,
      );
    }
    lines.push('');
  }
  lines.push('| target | measured | status |');
  lines.push('|---|---|---|');
  for (const t of results.targets) {
    const values = Object.entries(t.ratios)
      .map(([k, v]) => `${k} ${fmt(v)}`)
      .join(', ');
    const status = t.met === true ? '**met**' : t.met === false ? '**missed**' : values ? 'partial' : 'n/a';
    const measured = [values && `${t.ratio}: ${values} (need ≤ ${t.max})`, t.missing.length ? `not measured: ${t.missing.join('; ')}` : '']
      .filter(Boolean)
      .join('; ');
    lines.push(`| ${t.text} | ${measured} | ${status} |`);
  }
  return `${lines.join('\n')}\n`;
}

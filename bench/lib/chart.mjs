// The chart: ms per iteration per problem, grouped bars per implementation, log scale, every bar labelled.
// Rendered as SVG here and rasterised to PNG with @resvg/resvg-js (a devDependency; its platform binary comes
// from the npm registry as an optional dependency). Text uses DejaVu Sans: from the dejavu-fonts-ttf package when
// installed, else the system's fonts.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fmt } from './report.mjs';

/** Bars drawn, in this order, with these colours (rows not listed, or not measured, are left out). */
const SERIES = [
  { id: 'native-f64-default', color: '#0b3b8c' },
  { id: 'native-f64-1t', color: '#1f5fbf' },
  { id: 'native-f64-mt', color: '#7fa6e6' },
  { id: 'native-f32-default', color: '#075e53' },
  { id: 'native-f32-1t', color: '#0d8a7a' },
  { id: 'native-f32-mt', color: '#6cc4b6' },
  { id: 'wasm-f64', color: '#7b3fbf' },
  { id: 'wasm-f32', color: '#b58be0' },
  { id: 'floor-f64-1t', color: '#8c8c8c' },
  { id: 'floor-f64-mt', color: '#c4c4c4' },
  { id: 'numpy', color: '#e08a1e' },
  { id: 'sklearn', color: '#d2452f' },
  { id: 'ml-matrix', color: '#8a5a2b' },
];

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function renderSvg(results) {
  const problems = results.problems;
  const present = SERIES.filter((s) => problems.some((p) => p.rows.some((r) => r.id === s.id && r.status === 'ok')));
  const labelOf = (id) => {
    const row = problems.flatMap((p) => p.rows).find((r) => r.id === id && r.status === 'ok');
    return row ? `${row.label}${row.isDefault ? ' (default)' : ''}` : id;
  };
  const values = problems.flatMap((p) => p.rows.filter((r) => r.status === 'ok').map((r) => r.msPerIteration));
  const lo = Math.floor(Math.log10(Math.min(...values)));
  const hi = Math.ceil(Math.log10(Math.max(...values)) + 0.35); // headroom for the value labels

  const barW = 16;
  const gap = 34;
  const groupW = present.length * barW;
  const left = 78;
  const top = 92;
  const plotH = 430;
  const width = Math.max(1180, left + problems.length * (groupW + gap) + gap + 24);
  const legendRows = Math.ceil(present.length / 4);
  const height = top + plotH + 64 + legendRows * 22 + 36;
  const y = (ms) => top + plotH - ((Math.log10(ms) - lo) / (hi - lo)) * plotH;

  const out = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, sans-serif">`,
  );
  out.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  out.push(
    `<text x="${left}" y="30" font-size="19" font-weight="bold">nmfkit benchmark: milliseconds per MU iteration (log scale, lower is better)</text>`,
  );
  const m = results.machine;
  const sub = `${m.cpu.model}, ${m.cpu.logicalCores} cores · ${m.blas.vendor ?? 'no BLAS'} ${m.blas.version ?? ''} · Node ${m.node} · ${results.date.slice(0, 10)}${results.quick ? ' · QUICK run' : ''}`;
  out.push(`<text x="${left}" y="54" font-size="13" fill="#444">${esc(sub)}</text>`);
  out.push(
    `<text x="${left}" y="74" font-size="12" fill="#666">Same V, W0, H0 and iteration count for every bar of a problem; median of repeats after warm-up. BLAS floor = WᵀV + V·Hᵀ alone.</text>`,
  );

  // Axis and decades.
  for (let d = lo; d <= hi; d++) {
    const yy = y(10 ** d);
    out.push(`<line x1="${left}" y1="${yy}" x2="${width - 16}" y2="${yy}" stroke="#ddd"/>`);
    const label = d >= 3 ? `${10 ** (d - 3)} s` : d >= 0 ? `${10 ** d} ms` : d >= -3 ? `${10 ** (d + 3)} µs` : `1e${d} ms`;
    out.push(`<text x="${left - 8}" y="${yy + 4}" font-size="12" text-anchor="end" fill="#333">${label}</text>`);
    if (d < hi) {
      for (const k of [2, 5]) {
        const ym = y(k * 10 ** d);
        out.push(`<line x1="${left}" y1="${ym}" x2="${width - 16}" y2="${ym}" stroke="#f2f2f2"/>`);
      }
    }
  }
  out.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" stroke="#333"/>`);
  out.push(`<text transform="translate(18 ${top + plotH / 2}) rotate(-90)" font-size="13" text-anchor="middle">time per iteration</text>`);

  problems.forEach((p, gi) => {
    const x0 = left + gap + gi * (groupW + gap);
    present.forEach((s, si) => {
      const row = p.rows.find((r) => r.id === s.id);
      const x = x0 + si * barW;
      if (row?.status !== 'ok') {
        out.push(
          `<text transform="translate(${x + barW / 2 + 4} ${top + plotH - 4}) rotate(-90)" font-size="10" fill="#999">${esc(row?.status ?? '')}</text>`,
        );
        return;
      }
      const yy = y(row.msPerIteration);
      out.push(`<rect x="${x + 1}" y="${yy}" width="${barW - 2}" height="${top + plotH - yy}" fill="${s.color}"/>`);
      out.push(
        `<text transform="translate(${x + barW / 2 + 4} ${yy - 4}) rotate(-90)" font-size="10.5" fill="#222">${esc(fmt(row.msPerIteration))}</text>`,
      );
    });
    const cx = x0 + groupW / 2;
    out.push(`<text x="${cx}" y="${top + plotH + 22}" font-size="13.5" font-weight="bold" text-anchor="middle">${esc(p.name)}</text>`);
    out.push(`<text x="${cx}" y="${top + plotH + 40}" font-size="11.5" text-anchor="middle" fill="#444">${p.K}×${p.N}, R=${p.R}</text>`);
  });

  // Legend.
  const legendTop = top + plotH + 64;
  const colW = (width - left - 16) / 4;
  present.forEach((s, i) => {
    const lx = left + (i % 4) * colW;
    const ly = legendTop + Math.floor(i / 4) * 22;
    out.push(`<rect x="${lx}" y="${ly}" width="14" height="14" fill="${s.color}"/>`);
    out.push(`<text x="${lx + 20}" y="${ly + 12}" font-size="12.5">${esc(labelOf(s.id))}</text>`);
  });
  out.push(
    `<text x="${left}" y="${height - 12}" font-size="11" fill="#666">bar label = ms per iteration; n/a = not supported by the backend yet, skipped = peer not installed</text>`,
  );
  out.push('</svg>');
  return out.join('\n');
}

function fontFiles() {
  try {
    const dir = dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json'));
    return ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((f) => join(dir, 'ttf', f)).filter(existsSync);
  } catch {
    return [];
  }
}

/** PNG bytes of the SVG, or { error } when @resvg/resvg-js is not installed. */
export async function rasterise(svg) {
  let Resvg;
  try {
    ({ Resvg } = await import('@resvg/resvg-js'));
  } catch (error) {
    return { error: `@resvg/resvg-js not available (${error.message.split('\n')[0]}): wrote the SVG only` };
  }
  const resvg = new Resvg(svg, {
    font: { loadSystemFonts: true, fontFiles: fontFiles(), defaultFontFamily: 'DejaVu Sans' },
    fitTo: { mode: 'zoom', value: 1.5 },
    background: '#ffffff',
  });
  return { png: resvg.render().asPng() };
}

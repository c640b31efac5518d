/**
 * Colormaps for the heatmaps: the perceptually uniform matplotlib maps (viridis, magma, inferno, plasma, cividis)
 * as published in `d3-scale-chromatic`, and gray_r (white → black, the FMP notebooks' choice), each sampled into
 * a 256-entry lookup table.
 */
import { rgb } from 'd3-color';
import { interpolateCividis, interpolateInferno, interpolateMagma, interpolatePlasma, interpolateViridis } from 'd3-scale-chromatic';
import { checkChoice } from 'nmfkit/validation';

/** The colormaps the figures offer. */
export type ColormapName = 'viridis' | 'magma' | 'inferno' | 'plasma' | 'cividis' | 'gray_r';

// Frozen: the figures check colormap names against it, so a caller must not be able to add to it.
export const COLORMAPS: readonly ColormapName[] = Object.freeze(['viridis', 'magma', 'inferno', 'plasma', 'cividis', 'gray_r'] as const);

const interpolators: Record<ColormapName, (t: number) => string> = {
  viridis: interpolateViridis,
  magma: interpolateMagma,
  inferno: interpolateInferno,
  plasma: interpolatePlasma,
  cividis: interpolateCividis,
  gray_r: (t) => {
    const v = Math.round(255 * (1 - t));
    return `rgb(${v}, ${v}, ${v})`;
  },
};

const tables = new Map<ColormapName, Uint8Array>();

/** 256 RGB triples (768 bytes) from the low to the high end of a colormap, as a fresh array. */
export function colormapTable(name: ColormapName): Uint8Array {
  return new Uint8Array(lookupTable(checkChoice('name', name, COLORMAPS)));
}

/** {@link colormapTable} of a checked name: the shared table itself, which only the figures read. */
export function lookupTable(name: ColormapName): Uint8Array {
  let table = tables.get(name);
  if (!table) {
    table = new Uint8Array(256 * 3);
    const interpolate = interpolators[name];
    for (let i = 0; i < 256; i++) {
      const c = rgb(interpolate(i / 255));
      table[3 * i] = Math.round(c.r);
      table[3 * i + 1] = Math.round(c.g);
      table[3 * i + 2] = Math.round(c.b);
    }
    tables.set(name, table);
  }
  return table;
}

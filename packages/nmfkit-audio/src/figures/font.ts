/**
 * The typeface of the figures: DejaVu Sans, matplotlib's default (so the figures read like the FMP notebooks'),
 * from the `dejavu-fonts-ttf` package, registered once with pureimage.
 */
import { createRequire } from 'node:module';
import * as PImage from 'pureimage';

export const FONT_FAMILY = 'DejaVu Sans';

let registered = false;

/** Registers and loads the font (synchronously, once per process). */
export function ensureFont(): void {
  if (registered) return;
  const require = createRequire(import.meta.url);
  const path = require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');
  PImage.registerFont(path, FONT_FAMILY).loadSync();
  registered = true;
}

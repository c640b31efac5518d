/** Number formatting for the CLI reports. */

/** Cents as a signed whole number ('+3', '−12', '0'), or '–' when unknown. */
export function formatCents(cents: number): string {
  if (!Number.isFinite(cents)) return '–';
  const r = Math.round(cents);
  return r > 0 ? `+${r}` : r < 0 ? `−${-r}` : '0';
}

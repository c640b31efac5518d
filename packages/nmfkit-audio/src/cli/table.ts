/** Plain-text tables for the CLI reports. */

/** Formats rows under headers, each column padded to its widest cell ('r' columns right-aligned). */
export function table(headers: readonly string[], rows: readonly (readonly string[])[], align: readonly ('l' | 'r')[]): string[] {
  const widths = headers.map((h, j) => Math.max([...h].length, ...rows.map((r) => [...(r[j] ?? '')].length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, j) => {
        const pad = ' '.repeat(widths[j]! - [...c].length);
        return align[j] === 'r' ? pad + c : c + pad;
      })
      .join('   ')
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}

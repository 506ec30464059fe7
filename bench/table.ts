/** Plain-text tables for the benchmark report: columns padded, text left-aligned, figures right-aligned. */
export type Row = readonly string[];

/** The first `textColumns` columns are text (left-aligned); the others hold figures. */
export function renderTable(header: Row, rows: readonly Row[], textColumns = 1): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (row: Row): string =>
    row
      .map((cell, column) => (column < textColumns ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [line(header), rule, ...rows.map(line)].join('\n');
}

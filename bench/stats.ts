/**
 * Summaries of repeated measurements. A shared, noisy machine makes any single figure
 * meaningless, so every figure is the median of several rounds with the spread beside it.
 */
export interface Summary {
  median: number;
  /** Quartiles: half the rounds fall between them, whatever a few disturbed rounds did. */
  low: number;
  high: number;
  min: number;
  max: number;
  samples: number;
}

export function summarise(values: readonly number[]): Summary {
  if (values.length === 0) throw new Error('summarise: no samples');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return {
    median,
    low: quantile(sorted, 0.25),
    high: quantile(sorted, 0.75),
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
    samples: sorted.length,
  };
}

/** The q-quantile (0-1) of some values, e.g. 0.99 for the 99th percentile. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new Error('percentile: no samples');
  return quantile([...values].sort((a, b) => a - b), q);
}

/** Linear interpolation between the nearest ranks of an ascending array. */
function quantile(sorted: readonly number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below);
}

/** Ratios of two contenders measured in the same round, round by round (paired, so drift cancels). */
export function pairedRatios(ours: readonly number[], theirs: readonly number[]): number[] {
  if (ours.length !== theirs.length) throw new Error('pairedRatios: rounds differ');
  return ours.map((value, i) => value / theirs[i]!);
}

/** Three significant figures, thousands grouped: 12 300, 1 234, 45.6, 0.987. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude >= 1000) return Math.round(value).toLocaleString('en-US').replace(/,/g, ' ');
  if (magnitude >= 100) return value.toFixed(0);
  if (magnitude >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** "1 234 (1 100-1 300)": median with the quartiles of the rounds. */
export function formatSummary(summary: Summary): string {
  return `${formatNumber(summary.median)} (${formatNumber(summary.low)}-${formatNumber(summary.high)})`;
}

/** "1.62x (1.50-1.71)": median ratio with its quartiles. */
export function formatRatio(summary: Summary): string {
  return `${summary.median.toFixed(2)}x (${summary.low.toFixed(2)}-${summary.high.toFixed(2)})`;
}

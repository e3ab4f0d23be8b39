// Pure statistics for load runs: percentiles of latencies, and the tally of client outcomes.

/** The p-th percentile (0-100) of VALUES by nearest rank; undefined for no values. */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

export interface Distribution {
  count: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
}

/** p50/p90/p99/max/mean of VALUES (rounded to 0.01). */
export function distribution(values: readonly number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (v: number | undefined) => (v === undefined ? null : Math.round(v * 100) / 100);
  const mean = sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : undefined;
  return {
    count: sorted.length,
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1]),
    mean: round(mean),
  };
}

/** Counts by outcome, in a fixed order for reports. */
export function tally(outcomes: readonly string[]): Record<string, number> {
  const out: Record<string, number> = { connected: 0, rejected: 0, timeout: 0, fatal: 0, crashed: 0, hung: 0 };
  for (const o of outcomes) out[o] = (out[o] ?? 0) + 1;
  return out;
}

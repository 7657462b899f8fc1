/**
 * Quantiles of a Prometheus histogram between two scrapes: `bounds` are the bucket upper bounds
 * (ascending, the last may be Infinity) and `counts` the cumulative counts of the runs in between.
 */

/** The quantile `p` (in the bounds' unit), interpolated linearly within its bucket; NaN with no runs. */
export function bucketQuantile(bounds: readonly number[], counts: readonly number[], p: number): number {
  const want = counts.at(-1)! * p;
  let lower = 0;
  for (let i = 0; i < bounds.length; i++) {
    if (counts[i]! >= want) {
      const below = i === 0 ? 0 : counts[i - 1]!;
      const upper = bounds[i] === Infinity ? lower : bounds[i]!;
      const frac = counts[i] === below ? 1 : (want - below) / (counts[i]! - below);
      return lower + (upper - lower) * frac;
    }
    lower = bounds[i]!;
  }
  return NaN;
}

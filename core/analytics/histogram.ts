/**
 * Latency histograms as the rollups keep them (migrations/20261210010000_add_analytics_rollups.ts,
 * `clarion_latency_bucket`): bucket 1 holds [0, 1) ms, bucket k >= 2 holds
 * [2^((k-2)/4), 2^((k-1)/4)) ms, each 19 % wider than the one before; the last, 126, everything
 * from 2^31 ms (about 24.8 days). A histogram is the span of buckets in use: `counts[i]` is bucket
 * `lo + i`. Quantiles are interpolated geometrically inside their bucket, so a figure is within
 * one bucket's width of the true one (under 19 %, usually far less).
 */

export interface Histogram {
  lo: number;
  counts: number[];
}

export const LAST_BUCKET = 126;

/** The bucket of a latency, as the database computes it. */
export function bucketOf(ms: number): number {
  if (ms < 1) return 1;
  return Math.min(LAST_BUCKET, 2 + Math.floor((4 * Math.log(ms)) / Math.log(2)));
}

/**
 * Adds a span of buckets to a histogram, in place (a new one for null): `counts[i]` latencies of
 * bucket `lo + i`, as a row of `analytics_latency_*` holds them.
 */
export function addSpan(h: Histogram | null, lo: number, counts: number[]): Histogram | null {
  if (counts.length === 0) return h;
  if (!h) return { lo, counts: counts.map((c) => c ?? 0) };
  if (lo < h.lo) {
    h.counts.unshift(...new Array<number>(h.lo - lo).fill(0));
    h.lo = lo;
  }
  const offset = lo - h.lo;
  while (h.counts.length < offset + counts.length) h.counts.push(0);
  for (let i = 0; i < counts.length; i++) h.counts[offset + i] += counts[i] ?? 0;
  return h;
}

/** The q-quantile (0..1) in ms, or null for an empty histogram. */
export function quantile(h: Histogram | null, q: number): number | null {
  return quantiles(h, q)[0];
}

/** The quantiles `qs` (each 0..1, in ascending order) in ms, in one pass; nulls for an empty histogram. */
export function quantiles(h: Histogram | null, ...qs: number[]): Array<number | null> {
  const result = qs.map((): number | null => null);
  if (!h) return result;
  let total = 0;
  for (const c of h.counts) total += c ?? 0;
  if (total === 0) return result;
  let next = 0;
  let cumulative = 0;
  for (let i = 0; i < h.counts.length && next < qs.length; i++) {
    const c = h.counts[i] ?? 0;
    while (next < qs.length && c > 0 && cumulative + c >= qs[next] * total) {
      result[next] = within(h.lo + i, Math.max(0, qs[next] * total - cumulative) / c);
      next++;
    }
    cumulative += c;
  }
  return result;
}

/** A latency `fraction` (0..1) of the way through bucket k, interpolated geometrically. */
function within(k: number, fraction: number): number {
  if (k === 1) return fraction;
  const lower = 2 ** ((k - 2) / 4);
  if (k >= LAST_BUCKET) return lower;
  return lower * 2 ** (fraction / 4);
}

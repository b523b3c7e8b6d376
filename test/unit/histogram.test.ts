import { expect } from 'chai';
import { addSpan, bucketOf, quantile, type Histogram } from '../../core/analytics/histogram.ts';

/** Latency histograms as spans of buckets (core/analytics/histogram.ts), merged as queries merge the rollups' rows. */
describe('latency histograms', () => {
  it('adds spans of buckets whatever their first bucket: before, inside, overlapping, after, apart', () => {
    let h: Histogram | null = null;
    h = addSpan(h, 24, [5, 7, 1]);
    expect(h).to.deep.equal({ lo: 24, counts: [5, 7, 1] });
    h = addSpan(h, 25, [1]);
    expect(h).to.deep.equal({ lo: 24, counts: [5, 8, 1] });
    h = addSpan(h, 22, [2, 0, 3]);
    expect(h).to.deep.equal({ lo: 22, counts: [2, 0, 8, 8, 1] });
    h = addSpan(h, 25, [1, 1, 4]);
    expect(h).to.deep.equal({ lo: 22, counts: [2, 0, 8, 9, 2, 4] });
    h = addSpan(h, 30, [6]);
    expect(h).to.deep.equal({ lo: 22, counts: [2, 0, 8, 9, 2, 4, 0, 0, 6] });
    expect(addSpan(h, 40, [])).to.equal(h);
    expect(addSpan(null, 3, [])).to.equal(null);
  });

  it('does not keep the caller\'s array (a later merge must not change a row read before)', () => {
    const counts = [1, 2];
    const h = addSpan(null, 10, counts)!;
    addSpan(h, 10, [1, 1]);
    expect(counts).to.deep.equal([1, 2]);
  });

  it('answers the same quantiles from spans as from the same latencies added one bucket at a time', () => {
    const latencies = Array.from({ length: 500 }, (_, i) => 5 + ((i * 37) % 400) * 3.1);
    let oneByOne: Histogram | null = null;
    for (const ms of latencies) oneByOne = addSpan(oneByOne, bucketOf(ms), [1]);
    // The same latencies as three spans, as three rows of a rollup would hold them.
    const spans = [latencies.slice(0, 100), latencies.slice(100, 350), latencies.slice(350)].map((part) => {
      const buckets = part.map(bucketOf);
      const lo = Math.min(...buckets);
      const counts = new Array<number>(Math.max(...buckets) - lo + 1).fill(0);
      for (const k of buckets) counts[k - lo]++;
      return { lo, counts };
    });
    let merged: Histogram | null = null;
    for (const s of [spans[2], spans[0], spans[1]]) merged = addSpan(merged, s.lo, s.counts);
    expect(merged).to.deep.equal(oneByOne);
    for (const q of [0, 0.01, 0.5, 0.95, 0.99, 1]) expect(quantile(merged, q)).to.equal(quantile(oneByOne, q));
    expect(quantile(null, 0.5)).to.equal(null);
  });
});

import { expect } from 'chai';
import { TtlCache } from '../../core/cache.ts';

/** A lazy thenable like a knex query builder: every `then` runs the "query" again. */
function query<T>(value: T, runs: { count: number }): PromiseLike<T> {
  return {
    then(onFulfilled, onRejected) {
      runs.count++;
      return Promise.resolve(value).then(onFulfilled, onRejected);
    },
  };
}

describe('TtlCache', () => {
  it('runs a lazy query once however often the cached value is awaited', async () => {
    const cache = new TtlCache<number>(60_000);
    const runs = { count: 0 };
    for (let i = 0; i < 5; i++) expect(await cache.get('tenant-a', () => query(42, runs))).to.equal(42);
    expect(runs.count).to.equal(1);
  });

  it('loads again after drop, for the dropped prefix only', async () => {
    const cache = new TtlCache<string>(60_000);
    const a = { count: 0 };
    const b = { count: 0 };
    await cache.get('a:1', () => query('a', a));
    await cache.get('b:1', () => query('b', b));
    cache.drop('a:');
    await cache.get('a:1', () => query('a', a));
    await cache.get('b:1', () => query('b', b));
    expect([a.count, b.count]).to.deep.equal([2, 1]);
  });

  it('does not cache with a TTL of 0, and does not remember a failed load', async () => {
    const off = new TtlCache<number>(0);
    const runs = { count: 0 };
    await off.get('k', () => query(1, runs));
    await off.get('k', () => query(1, runs));
    expect(runs.count).to.equal(2);

    const cache = new TtlCache<number>(60_000);
    let attempts = 0;
    const flaky = () => (++attempts === 1 ? Promise.reject(new Error('database down')) : Promise.resolve(7));
    await cache.get('k', flaky).then(
      () => expect.fail('the first load fails'),
      (err: Error) => expect(err.message).to.equal('database down'),
    );
    expect(await cache.get('k', flaky)).to.equal(7);
    expect(await cache.get('k', flaky)).to.equal(7);
    expect(attempts).to.equal(2);
  });
});

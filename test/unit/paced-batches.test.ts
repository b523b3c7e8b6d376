import { setImmediate as tick } from 'node:timers/promises';
import { expect } from 'chai';
import { pacedLoader } from '../../core/db/paced-batches.ts';

/** A batch function whose calls the test finishes by hand, each recorded with its keys. */
function manual() {
  const calls: Array<{ keys: number[]; finish(): void; fail(err: Error): void }> = [];
  const batch = (keys: readonly number[]) =>
    new Promise<number[]>((resolve, reject) => {
      calls.push({ keys: [...keys], finish: () => resolve(keys.map((k) => k * 10)), fail: reject });
    });
  return { calls, batch };
}

describe('paced batches (unit)', () => {
  it('runs the loads of one turn together, at the next turn, when idle', async () => {
    const { calls, batch } = manual();
    const loader = pacedLoader(batch, { maxBatchSize: 100, maxInFlight: 1 });
    const answers = Promise.all([1, 2, 3].map((k) => loader.load(k)));
    expect(calls).to.have.length(0);
    await tick();
    expect(calls.map((c) => c.keys)).to.deep.equal([[1, 2, 3]]);
    calls[0].finish();
    expect(await answers).to.deep.equal([10, 20, 30]);
  });

  it('gathers the loads made while a batch runs into the next one, started when it finishes', async () => {
    const { calls, batch } = manual();
    const loader = pacedLoader(batch, { maxBatchSize: 100, maxInFlight: 1 });
    const first = loader.load(1);
    await tick();
    const later = [2, 3, 4].map((k) => loader.load(k));
    await tick();
    await tick();
    // Still only the first: the others wait for it, whatever the turns in between.
    expect(calls.map((c) => c.keys)).to.deep.equal([[1]]);
    const more = loader.load(5);
    calls[0].finish();
    expect(await first).to.equal(10);
    await tick();
    expect(calls.map((c) => c.keys)).to.deep.equal([[1], [2, 3, 4, 5]]);
    calls[1].finish();
    expect(await Promise.all([...later, more])).to.deep.equal([20, 30, 40, 50]);
  });

  it('runs up to maxInFlight batches at once, each of at most maxBatchSize', async () => {
    const { calls, batch } = manual();
    const loader = pacedLoader(batch, { maxBatchSize: 2, maxInFlight: 2 });
    const answers = Promise.all([1, 2, 3, 4, 5, 6, 7].map((k) => loader.load(k)));
    await tick();
    expect(calls.map((c) => c.keys)).to.deep.equal([[1, 2], [3, 4]]);
    calls[1].finish();
    await tick();
    await tick();
    expect(calls.map((c) => c.keys)).to.deep.equal([[1, 2], [3, 4], [5, 6]]);
    calls[0].finish();
    await tick();
    await tick();
    expect(calls.map((c) => c.keys)).to.deep.equal([[1, 2], [3, 4], [5, 6], [7]]);
    calls[2].finish();
    calls[3].finish();
    expect(await answers).to.deep.equal([10, 20, 30, 40, 50, 60, 70]);
  });

  it('a failed batch fails its own loads only, and the next batch still runs', async () => {
    const { calls, batch } = manual();
    const loader = pacedLoader(batch, { maxBatchSize: 100, maxInFlight: 1 });
    const first = loader.load(1);
    await tick();
    const second = loader.load(2);
    calls[0].fail(new Error('refused'));
    const failed = await first.then(() => undefined, (err: Error) => err);
    expect(failed?.message).to.equal('refused');
    await tick();
    expect(calls.map((c) => c.keys)).to.deep.equal([[1], [2]]);
    calls[1].finish();
    expect(await second).to.equal(20);
  });
});

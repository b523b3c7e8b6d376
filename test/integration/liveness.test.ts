import { expect } from 'chai';
import { heartbeat, sweepDeadWorkers } from '../../core/jobs/liveness.ts';
import { startClarion } from '../../core/runtime.ts';
import { testConfig } from '../support/clarion.ts';
import { freshDatabase, silentLog, type TestDatabase } from '../support/postgres.ts';

/**
 * Worker liveness: jobs locked by a worker (or, with the local queue, by its pool) that stopped
 * beating are unlocked; those of one still beating are left alone, however long they have been
 * locked. Business time is injected; nothing waits.
 */
describe('worker liveness (integration)', () => {
  let db: TestDatabase;
  before(async () => {
    db = await freshDatabase();
  });
  after(() => db.drop());

  const lockJob = async (lockedBy: string, lockedAt: Date) => {
    const { rows } = await db.knex.raw(`select id from graphile_worker.add_job('liveness_probe', '{}'::json)`);
    await db.knex.raw(`update graphile_worker._private_jobs set locked_by = ?, locked_at = ? where id = ?`, [lockedBy, lockedAt, rows[0].id]);
    return rows[0].id as string;
  };
  const lockedBy = async (id: string) => (await db.knex.raw(`select locked_by from graphile_worker._private_jobs where id = ?`, [id])).rows[0].locked_by;

  it('unlocks the jobs of a pool that stopped beating, never those of one still beating', async () => {
    const now = new Date('2026-11-22T10:00:00Z');
    const twoMinutesAgo = new Date(now.getTime() - 120_000);
    const alive = await lockJob('pool-alive', twoMinutesAgo);
    const silent = await lockJob('pool-silent', twoMinutesAgo);
    const unknown = await lockJob('pool-never-beat', twoMinutesAgo);
    const fresh = await lockJob('pool-just-started', new Date(now.getTime() - 1000));
    await heartbeat(db.knex, ['pool-alive'], now);
    await heartbeat(db.knex, ['pool-silent'], twoMinutesAgo);

    const dead = await sweepDeadWorkers(db.knex, now, 60_000, silentLog);
    expect(dead.sort()).to.deep.equal(['pool-never-beat', 'pool-silent']);
    expect(await lockedBy(alive)).to.equal('pool-alive');
    expect(await lockedBy(silent)).to.equal(null);
    expect(await lockedBy(unknown)).to.equal(null);
    // Locked a second ago: whoever holds it has not had the chance to beat yet.
    expect(await lockedBy(fresh)).to.equal('pool-just-started');
  });

  it('a running worker beats for its workers and for its pool, which locks the jobs of its local queue', async () => {
    await db.knex('worker_heartbeats').delete();
    const clarion = await startClarion({ config: testConfig(db, { CLARION_WORKER_CONCURRENCY: '3' }), log: silentLog, gateway: false });
    try {
      const { rows } = await db.knex.raw(`select worker_id from worker_heartbeats where process like ?`, [`%:${process.pid}`]);
      const ids = rows.map((r: { worker_id: string }) => r.worker_id);
      // Three workers and the pool that fetches jobs ahead for them.
      expect(ids).to.have.length(4);
      expect(ids.filter((id: string) => id.startsWith('pool-'))).to.have.length(1);
    } finally {
      await clarion.stop();
    }
    const { rows } = await db.knex.raw(`select count(*)::int as n from worker_heartbeats where process like ?`, [`%:${process.pid}`]);
    expect(rows[0].n).to.equal(0);
  });
});

import { expect } from 'chai';
import { runOnce } from 'graphile-worker';
import { heartbeat, sweepDeadWorkers } from '../../core/jobs/liveness.ts';
import { graphileLogger } from '../../core/log.ts';
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

  /**
   * A worker that took a job and hangs in it, as a crashed one would leave it: a real `runOnce`,
   * its task held until `release()`. graphile-worker locks the job in the name of the worker's
   * pool (`lockedBy`), at the database's time: the sweeps below are timed from `locked_at`.
   */
  let probes = 0;
  const holdJob = async () => {
    const task = `liveness_probe_${++probes}`;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const { rows } = await db.knex.raw(`select id from graphile_worker.add_job(?, '{}'::json)`, [task]);
    const id = String(rows[0].id);
    const done = runOnce({
      connectionString: db.url,
      noHandleSignals: true,
      logger: graphileLogger(silentLog),
      taskList: {
        [task]: async () => {
          started();
          await held;
        },
      },
    });
    await running;
    const { locked_by: lockedBy, locked_at: lockedAt } = (await job(id))!;
    return { id, lockedBy: lockedBy!, lockedAt, release: async () => { release(); await done; } };
  };
  const job = async (id: string) => (await db.knex.raw(`select locked_by, locked_at from graphile_worker.jobs where id = ?`, [id])).rows[0] as { locked_by: string | null; locked_at: Date } | undefined;

  it('unlocks the jobs of a pool that stopped beating, never those of one still beating', async () => {
    const held = [await holdJob(), await holdJob(), await holdJob()];
    const [alive, silent, unknown] = held;
    try {
      // Locked a second ago: whoever holds it has not had the chance to beat yet.
      const soon = new Date(unknown.lockedAt.getTime() + 1000);
      expect(await sweepDeadWorkers(db.knex, soon, 60_000, silentLog)).to.deep.equal([]);
      expect((await job(unknown.id))!.locked_by).to.equal(unknown.lockedBy);

      const now = new Date(unknown.lockedAt.getTime() + 120_000);
      await heartbeat(db.knex, [alive.lockedBy], now);
      await heartbeat(db.knex, [silent.lockedBy], new Date(now.getTime() - 120_000));
      const dead = await sweepDeadWorkers(db.knex, now, 60_000, silentLog);
      expect(dead.sort()).to.deep.equal([silent.lockedBy, unknown.lockedBy].sort());
      expect((await job(alive.id))!.locked_by).to.equal(alive.lockedBy);
      expect((await job(silent.id))!.locked_by).to.equal(null);
      expect((await job(unknown.id))!.locked_by).to.equal(null);
    } finally {
      for (const h of held) await h.release();
    }
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

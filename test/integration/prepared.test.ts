import { expect } from 'chai';
import { loadConfig } from '../../core/config.ts';
import { createKnex } from '../../core/db/database.ts';
import { prepared } from '../../core/db/prepared.ts';
import { freshDatabase, type TestDatabase } from '../support/postgres.ts';

/** The hot path's prepared statements, and the switch for poolers that cannot keep them. */
describe('prepared statements (integration)', () => {
  let db: TestDatabase;
  before(async () => {
    db = await freshDatabase();
  });
  after(() => db.drop());

  const statementsOf = async (preparedStatements: boolean) => {
    const knex = createKnex(db.url, 1, { preparedStatements });
    try {
      const rows = await prepared<{ n: number }>(knex, 'clarion_test_statement', 'select $1::int + 1 as n', [41]);
      expect(rows).to.deep.equal([{ n: 42 }]);
      // Inside a transaction it runs on the transaction's connection.
      const inside = await knex.transaction(async (trx) => {
        await trx.raw('create temporary table seen (n int) on commit drop');
        await prepared(trx, 'clarion_test_insert', 'insert into seen values ($1)', [7]);
        return (await trx.raw('select n from seen')).rows;
      });
      expect(inside).to.deep.equal([{ n: 7 }]);
      return (await knex.raw(`select name from pg_prepared_statements order by name`)).rows.map((r: { name: string }) => r.name);
    } finally {
      await knex.destroy();
    }
  };

  it('prepares once per connection by default', async () => {
    expect(await statementsOf(true)).to.deep.equal(['clarion_test_insert', 'clarion_test_statement']);
  });

  it('runs unnamed without a name', async () => {
    const knex = createKnex(db.url, 1);
    try {
      expect(await prepared<{ n: number }>(knex, undefined, 'select $1::int as n', [3])).to.deep.equal([{ n: 3 }]);
      expect((await knex.raw(`select count(*)::int as n from pg_prepared_statements`)).rows[0].n).to.equal(0);
    } finally {
      await knex.destroy();
    }
  });

  it('runs unnamed with CLARION_DB_PREPARED_STATEMENTS=false', async () => {
    expect(loadConfig({ CLARION_DB_PREPARED_STATEMENTS: 'false' }).dbPreparedStatements).to.equal(false);
    expect(loadConfig({}).dbPreparedStatements).to.equal(true);
    expect(await statementsOf(false)).to.deep.equal([]);
  });
});

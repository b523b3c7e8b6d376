import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { migrationFiles } from '../../core/db/database.ts';
import { freshDatabase, type TestDatabase } from '../support/postgres.ts';

const run = promisify(execFile);

/** knex's own CLI works on Clarion's database through the top-level knexfile.ts. */
describe('knexfile.ts', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  before(async () => {
    db = await freshDatabase();
  });
  after(() => db.drop());

  it('lets `knex migrate:list` see every migration as applied', async () => {
    const { stdout } = await run(process.execPath, ['node_modules/knex/bin/cli.js', 'migrate:list', '--knexfile', 'knexfile.ts'], {
      env: { ...process.env, DATABASE_URL: db.url, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    // The engine's migrations and the plugins' (plugins/<name>/migrations/).
    const files = await migrationFiles();
    expect(files.length).to.be.above(5);
    expect(stdout).to.include(`Found ${files.length} Completed Migration file/files.`);
    expect(stdout).to.include('No Pending Migration files Found.');
  });
});

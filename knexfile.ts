/**
 * For knex's own tooling (`npx knex migrate:list`, `migrate:make`, `migrate:rollback`) against
 * `DATABASE_URL`. Clarion itself migrates on start and with `clarion migrate`; both use the same
 * migration source, so the two never disagree about what is applied.
 */
import type { Knex } from 'knex';
import { migrationSource } from './core/db/database.ts';

const config: Knex.Config = {
  client: 'pg',
  connection: process.env.DATABASE_URL,
  migrations: { migrationSource, tableName: 'knex_migrations' },
};

export default config;

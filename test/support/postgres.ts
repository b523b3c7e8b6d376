import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { createKnex, migrate } from '../../core/db/database.ts';
import { startEmbedded, type EmbeddedDatabase } from '../../core/db/embedded.ts';
import { createLogger } from '../../core/log.ts';

/**
 * One real PostgreSQL (embedded) for the whole run. A template database is migrated once; each
 * test file gets its own database cloned from it, which is fast and keeps files isolated.
 */
let server: { embedded: EmbeddedDatabase; dir: string } | undefined;
let counter = 0;
const TEMPLATE = 'clarion_template';

export const silentLog = createLogger('silent');

export async function startTestPostgres(): Promise<void> {
  if (process.env.TEST_DATABASE_URL) return;
  const dir = await mkdtemp(path.join(tmpdir(), 'clarion-test-'));
  const embedded = await startEmbedded(dir, silentLog);
  server = { embedded, dir };
  const admin = embedded.admin();
  await admin.connect();
  await admin.query(`create database ${TEMPLATE}`);
  await admin.end();
  const url = templateUrl();
  const knex = createKnex(url, 2);
  await migrate(knex, url, silentLog);
  await knex.destroy();
}

export async function stopTestPostgres(): Promise<void> {
  if (!server) return;
  await server.embedded.stop();
  await rm(server.dir, { recursive: true, force: true });
  server = undefined;
}

function baseUrl(): string {
  if (process.env.TEST_DATABASE_URL) return process.env.TEST_DATABASE_URL;
  if (!server) throw new Error('test PostgreSQL is not running (test/support/hooks.ts starts it)');
  return server.embedded.url;
}

function templateUrl(): string {
  const url = new URL(baseUrl());
  url.pathname = `/${TEMPLATE}`;
  return url.toString();
}

export interface TestDatabase {
  url: string;
  knex: Knex;
  drop(): Promise<void>;
}

/** A fresh, migrated database of its own. */
export async function freshDatabase(): Promise<TestDatabase> {
  const name = `clarion_test_${process.pid}_${++counter}`;
  const adminUrl = new URL(baseUrl());
  adminUrl.pathname = '/postgres';
  const pg = (await import('pg')).default;
  const admin = new pg.Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  await admin.query(`create database ${name} template ${TEMPLATE}`);
  await admin.end();
  const url = new URL(baseUrl());
  url.pathname = `/${name}`;
  const knex = createKnex(url.toString(), 5);
  return {
    url: url.toString(),
    knex,
    async drop() {
      await knex.destroy();
      const client = new pg.Client({ connectionString: adminUrl.toString() });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

import type { Knex } from 'knex';
import type pg from 'pg';

interface ConnectionSource {
  config: { clarionPreparedStatements?: boolean };
  acquireConnection(): Promise<pg.ClientBase>;
  releaseConnection(connection: pg.ClientBase): Promise<unknown>;
}

/**
 * Runs one of the hot path's statements as a named prepared statement: PostgreSQL parses and
 * plans it once per connection instead of on every call (planning the delivery statements cost
 * more than running them). `db` may be a transaction: the statement then runs on its connection.
 * Values go to `pg` as they are: pass JSON as strings, and no arrays unless the column is one.
 * Without a name, or with CLARION_DB_PREPARED_STATEMENTS=false (a pooler that cannot keep them),
 * it runs unnamed.
 */
export async function prepared<R = Record<string, unknown>>(db: Knex, name: string | undefined, text: string, values: unknown[]): Promise<R[]> {
  const named = name !== undefined && (db.client as unknown as ConnectionSource).config.clarionPreparedStatements !== false;
  return withConnection(db, async (connection) => (await connection.query<R & pg.QueryResultRow>(named ? { name, text, values } : { text, values })).rows);
}

/**
 * Runs `fn` on one connection of `db`'s pool (a transaction's own, when `db` is one), released
 * after: for what must run on one session outside any transaction (a vacuum holding a session
 * lock) and for the prepared statements above.
 */
export async function withConnection<T>(db: Knex, fn: (connection: pg.ClientBase) => Promise<T>): Promise<T> {
  const source = db.client as unknown as ConnectionSource;
  const connection = await source.acquireConnection();
  try {
    return await fn(connection);
  } finally {
    await source.releaseConnection(connection);
  }
}

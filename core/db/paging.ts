import type { Knex } from 'knex';
import { ClarionError } from '../errors.ts';
import { isUuid } from '../kernel/ids.ts';

/** A page of a list, newest first; `nextCursor` continues it (null on the last page). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export function encodeCursor(ts: string, id: string): string {
  return Buffer.from(`${ts}|${id}`).toString('base64url');
}

export function decodeCursor(cursor: string): [string, string] {
  const [ts, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (!ts || !id || !isUuid(id) || Number.isNaN(Date.parse(ts))) {
    throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'The cursor is not one this API returned', { errors: [{ pointer: '/query/cursor', message: 'is invalid' }] });
  }
  return [ts, id];
}

/**
 * Keyset pagination, newest first, on a timestamp column and the row id (stable under inserts,
 * no OFFSET). The cursor keeps the timestamp at microsecond precision, as PostgreSQL stores it.
 * `query` holds the selection and filters; this adds ordering, the cursor condition and the limit.
 */
export async function keysetPage<T>(
  knex: Knex,
  query: Knex.QueryBuilder,
  columns: { ts: string; id: string },
  page: { limit: number; cursor?: string },
  view: (row: Record<string, unknown>) => T,
): Promise<Page<T>> {
  query
    .select(knex.raw(`to_char(${columns.ts} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as cursor_ts`))
    .orderBy([{ column: columns.ts, order: 'desc' }, { column: columns.id, order: 'desc' }])
    .limit(page.limit + 1);
  if (page.cursor) {
    const [ts, id] = decodeCursor(page.cursor);
    query.whereRaw(`(${columns.ts}, ${columns.id}) < (?::timestamptz, ?::uuid)`, [ts, id]);
  }
  const rows: Array<Record<string, unknown>> = await query;
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  return { items: items.map(view), nextCursor: rows.length > page.limit && last ? encodeCursor(last.cursor_ts as string, last.id as string) : null };
}

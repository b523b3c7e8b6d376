import type { EventRow } from '../db/repositories/rows.ts';

/** The event as workflows point into it (`/data/recipients`, `/subject`, an extension). */
export function eventDocument(event: EventRow): Record<string, unknown> {
  return { id: event.ce_id, source: event.source, type: event.type, subject: event.subject, time: event.time, data: event.data, ...event.extensions };
}

/** RFC 6901 JSON Pointer lookup. */
export function pointer(document: unknown, path: string): unknown {
  if (path === '') return document;
  let node: unknown = document;
  for (const raw of path.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object') return undefined;
    node = Array.isArray(node) ? node[Number(token)] : (node as Record<string, unknown>)[token];
  }
  return node;
}

import type { Attachment } from '@clarion/adapter-kit';
import type { Knex } from 'knex';

/** The files of events (core/ingest/attachments.ts), stored once per event. */

export async function insertAttachments(db: Knex, tenantId: string, eventId: string, parts: Array<{ filename: string; contentType: string; content: Buffer; sha256: string }>): Promise<void> {
  if (parts.length === 0) return;
  await db('attachments').insert(parts.map((p, position) => ({ tenant_id: tenantId, event_id: eventId, position, filename: p.filename, content_type: p.contentType, size: p.content.length, sha256: p.sha256, content: p.content })));
}

/** An event's files without their content, in order: what media links name. */
export async function eventAttachmentList(db: Knex, tenantId: string, eventId: string): Promise<Array<{ position: number; filename: string; contentType: string }>> {
  const rows: Array<{ position: number; filename: string; content_type: string }> = await db('attachments').where({ tenant_id: tenantId, event_id: eventId }).orderBy('position').select('position', 'filename', 'content_type');
  return rows.map((r) => ({ position: r.position, filename: r.filename, contentType: r.content_type }));
}

/** An event's files, in order, as an email carries them. */
export async function eventAttachments(db: Knex, tenantId: string, eventId: string): Promise<Attachment[]> {
  const rows: Array<{ filename: string; content_type: string; content: Buffer }> = await db('attachments').where({ tenant_id: tenantId, event_id: eventId }).orderBy('position').select('filename', 'content_type', 'content');
  return rows.map((r) => ({ filename: r.filename, contentType: r.content_type, content: r.content }));
}

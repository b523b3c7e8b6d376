import { createHash } from 'node:crypto';
import type { FieldError } from '../errors.ts';
import type { TenantSettings } from '../tenants.ts';
import type { IncomingEvent, Mode } from './cloudevents.ts';

/**
 * Files an event attaches: `data.attachments`, a list of `{filename, contentType, content}` with
 * the content in base64. At ingest they are checked against the tenant's limits (size, number,
 * content types), taken out of the data and stored once per event (table `attachments`); the data
 * keeps a reference to each (`{filename, contentType, size, sha256}`), which is what templates and
 * `GET /v1/events/{id}` see. Email deliveries of the event carry them.
 */

export const DEFAULT_TYPES = ['application/pdf', 'text/plain', 'text/csv', 'image/png', 'image/jpeg', 'text/calendar'];
export const DEFAULT_MAX_BYTES = 5 * 1024 * 1024;
export const DEFAULT_MAX_FILES = 5;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** A name a mail client saves as is: 1-255 characters, no path, no control characters. */
function isFilename(name: unknown): name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 255 || /[/\\]/.test(name)) return false;
  return ![...name].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
}

export interface AttachmentPart {
  filename: string;
  contentType: string;
  content: Buffer;
  sha256: string;
}

/** Checks and takes the attachments out of each event's data (the events are changed in place); errors name each field. */
export function takeAttachments(events: IncomingEvent[], mode: Mode, settings: TenantSettings, errors: FieldError[]): AttachmentPart[][] {
  const limits = (settings.attachments ?? {}) as { maxBytes?: number; maxFiles?: number; types?: string[] };
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxFiles = limits.maxFiles ?? DEFAULT_MAX_FILES;
  const types = limits.types ?? DEFAULT_TYPES;
  return events.map((event, index) => {
    const data = event.data;
    if (!data || typeof data !== 'object' || Array.isArray(data) || !('attachments' in data)) return [];
    const at = `${mode === 'batch' ? `/${index}` : ''}/data/attachments`;
    const list = (data as Record<string, unknown>).attachments;
    if (!Array.isArray(list)) {
      errors.push({ pointer: at, message: 'must be a list of {filename, contentType, content (base64)}' });
      return [];
    }
    if (list.length > maxFiles) errors.push({ pointer: at, message: `must have at most ${maxFiles} files (the tenant's limit)` });
    const parts: AttachmentPart[] = [];
    list.forEach((item, i) => {
      const here = `${at}/${i}`;
      if (!item || typeof item !== 'object' || Array.isArray(item)) return void errors.push({ pointer: here, message: 'must be {filename, contentType, content (base64)}' });
      const { filename, contentType, content, url } = item as Record<string, unknown>;
      if (url !== undefined && content === undefined) return void errors.push({ pointer: `${here}/url`, message: 'is not supported: give the file itself in content (base64)' });
      if (!isFilename(filename)) errors.push({ pointer: `${here}/filename`, message: 'must be a file name of 1-255 characters without a path or control characters' });
      if (typeof contentType !== 'string' || !types.includes(contentType.toLowerCase())) errors.push({ pointer: `${here}/contentType`, message: `must be one of the tenant's accepted types (${types.join(', ')})` });
      const text = typeof content === 'string' ? content.replace(/\s+/g, '') : undefined;
      if (text === undefined || text.length === 0 || text.length % 4 !== 0 || !BASE64.test(text)) return void errors.push({ pointer: `${here}/content`, message: 'must be the file in base64' });
      const bytes = Buffer.from(text, 'base64');
      if (bytes.length > maxBytes) return void errors.push({ pointer: `${here}/content`, message: `must be at most ${maxBytes} bytes decoded (the tenant's limit); it is ${bytes.length}` });
      if (typeof filename === 'string' && typeof contentType === 'string') parts.push({ filename, contentType: contentType.toLowerCase(), content: bytes, sha256: createHash('sha256').update(bytes).digest('hex') });
    });
    (data as Record<string, unknown>).attachments = parts.map((p) => ({ filename: p.filename, contentType: p.contentType, size: p.content.length, sha256: p.sha256 }));
    return parts;
  });
}

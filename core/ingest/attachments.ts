import { createHash } from 'node:crypto';
import type { FieldError } from '../errors.ts';
import type { TenantSettings } from '../tenants.ts';
import type { IncomingEvent, Mode } from './cloudevents.ts';

/**
 * Files an event attaches: `data.attachments`, a list of `{filename, contentType, content}` with
 * the content in base64, or `{filename, contentType?, url}` fetched at ingest through the
 * operator's outbound policy (./attachment-fetch.ts). At ingest they are checked against the tenant's limits (size, number,
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
  /** A file given by URL, not fetched yet (content empty until then); `contentType` '' when the answer's is to be taken. */
  url?: string;
  /** Where it is in the body, for errors: `/data/attachments/0`. */
  pointer?: string;
}

export interface AttachmentOptions {
  /** Checks a URL against the operator's outbound policy without DNS (throws why not); without it, URLs are refused. */
  checkUrl?: (url: string) => void;
}

/** The tenant's limits on attachments. */
export function attachmentLimits(settings: TenantSettings): { maxBytes: number; maxFiles: number; types: string[] } {
  const limits = (settings.attachments ?? {}) as { maxBytes?: number; maxFiles?: number; types?: string[] };
  return { maxBytes: limits.maxBytes ?? DEFAULT_MAX_BYTES, maxFiles: limits.maxFiles ?? DEFAULT_MAX_FILES, types: limits.types ?? DEFAULT_TYPES };
}

/** What the stored data keeps of each file (templates and `GET /v1/events/{id}` see it). */
export function attachmentRefs(parts: AttachmentPart[]): Array<Record<string, unknown>> {
  return parts.map((p) => ({ filename: p.filename, contentType: p.contentType, size: p.content.length, sha256: p.sha256 }));
}

/** Checks and takes the attachments out of each event's data (the events are changed in place); errors name each field. */
export function takeAttachments(events: IncomingEvent[], mode: Mode, settings: TenantSettings, errors: FieldError[], options: AttachmentOptions = {}): AttachmentPart[][] {
  const { maxBytes, maxFiles, types } = attachmentLimits(settings);
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
      if (url !== undefined && content !== undefined) return void errors.push({ pointer: `${here}/url`, message: 'give either content (base64) or url, not both' });
      if (!isFilename(filename)) errors.push({ pointer: `${here}/filename`, message: 'must be a file name of 1-255 characters without a path or control characters' });
      const typeGiven = !(url !== undefined && contentType === undefined);
      if (typeGiven && (typeof contentType !== 'string' || !types.includes(contentType.toLowerCase()))) errors.push({ pointer: `${here}/contentType`, message: `must be one of the tenant's accepted types (${types.join(', ')})` });
      if (url !== undefined) {
        if (!options.checkUrl) return void errors.push({ pointer: `${here}/url`, message: 'is not supported: give the file itself in content (base64)' });
        if (typeof url !== 'string' || url.length > 2048) return void errors.push({ pointer: `${here}/url`, message: 'must be an http(s) URL of at most 2048 characters' });
        try {
          options.checkUrl(url);
        } catch (err) {
          return void errors.push({ pointer: `${here}/url`, message: (err as Error).message });
        }
        if (typeof filename === 'string') parts.push({ filename, contentType: typeof contentType === 'string' ? contentType.toLowerCase() : '', content: Buffer.alloc(0), sha256: '', url, pointer: here });
        return;
      }
      const text = typeof content === 'string' ? content.replace(/\s+/g, '') : undefined;
      if (text === undefined || text.length === 0 || text.length % 4 !== 0 || !BASE64.test(text)) return void errors.push({ pointer: `${here}/content`, message: 'must be the file in base64' });
      const bytes = Buffer.from(text, 'base64');
      if (bytes.length > maxBytes) return void errors.push({ pointer: `${here}/content`, message: `must be at most ${maxBytes} bytes decoded (the tenant's limit); it is ${bytes.length}` });
      if (typeof filename === 'string' && typeof contentType === 'string') parts.push({ filename, contentType: contentType.toLowerCase(), content: bytes, sha256: createHash('sha256').update(bytes).digest('hex') });
    });
    (data as Record<string, unknown>).attachments = attachmentRefs(parts);
    return parts;
  });
}

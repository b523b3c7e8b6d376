import { CloudEvent, ValidationError } from 'cloudevents';
import { ClarionError, type FieldError } from '../errors.ts';

/**
 * Turns an HTTP request into CloudEvents, in any of the three HTTP content modes (binary,
 * structured, batched). The SDK fills in what is missing (a random `id`, `specversion` 1.0, the
 * current `time`) and its parser accepts events without a `type`, so the required attributes are
 * checked here on what was actually sent, and then the SDK's own `validate()` runs as well.
 */

export interface IncomingEvent {
  id: string;
  source: string;
  type: string;
  specversion: string;
  subject?: string;
  time?: string;
  datacontenttype?: string;
  dataschema?: string;
  /** JSON data (structured mode, or binary mode with a JSON content type). */
  data?: unknown;
  /** Anything else, base64-encoded. */
  dataBase64?: string;
  extensions: Record<string, string | number | boolean>;
}

export type Mode = 'binary' | 'structured' | 'batch';

const CONTEXT_ATTRIBUTES = new Set(['id', 'source', 'type', 'specversion', 'subject', 'time', 'datacontenttype', 'dataschema']);
const REQUIRED = ['id', 'source', 'specversion', 'type'] as const;
const EXTENSION_NAME = /^[a-z0-9]{1,20}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
export const MAX_BATCH = 1000;

export interface MediaType {
  essence: string;
  charset: string | undefined;
}

export function parseMediaType(header: string | undefined): MediaType | undefined {
  if (!header) return undefined;
  const [essence, ...params] = header.split(';');
  let charset: string | undefined;
  for (const param of params) {
    const [key, value] = param.split('=');
    if (key?.trim().toLowerCase() === 'charset' && value) charset = value.trim().replace(/^"|"$/g, '').toLowerCase();
  }
  return { essence: essence.trim().toLowerCase(), charset };
}

export function detectMode(headers: Record<string, string | string[] | undefined>): Mode {
  const media = parseMediaType(first(headers['content-type']));
  if (media?.essence === 'application/cloudevents+json') return 'structured';
  if (media?.essence === 'application/cloudevents-batch+json') return 'batch';
  if (media?.essence.startsWith('application/cloudevents')) {
    throw new ClarionError('CLARION_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE', `${media.essence} is not supported: use the JSON event format`, {
      extensions: { accepted: ['application/cloudevents+json', 'application/cloudevents-batch+json', 'binary mode (ce-* headers)'] },
    });
  }
  if (Object.keys(headers).some((h) => h.toLowerCase().startsWith('ce-'))) return 'binary';
  throw new ClarionError(
    'CLARION_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE',
    `Content-Type ${media ? media.essence : '(none)'} carries no CloudEvent: send application/cloudevents+json, application/cloudevents-batch+json, or binary mode with ce-id, ce-source, ce-type and ce-specversion headers`,
    { extensions: { accepted: ['application/cloudevents+json', 'application/cloudevents-batch+json', 'binary mode (ce-* headers)'] } },
  );
}

/** Parses the request into events; throws a 400 naming every failing field of every event. */
export function parseEvents(headers: Record<string, string | string[] | undefined>, body: Buffer): { mode: Mode; events: IncomingEvent[] } {
  const mode = detectMode(headers);
  const media = parseMediaType(first(headers['content-type']));
  if (mode === 'binary') return { mode, events: [fromBinary(headers, body, media)] };

  const json = parseJsonBody(decode(body, media?.charset));
  if (mode === 'structured') {
    const errors: FieldError[] = [];
    const event = fromStructured(json, '', errors);
    if (errors.length > 0 || !event) throw invalidEvent(errors);
    return { mode, events: [event] };
  }

  if (!Array.isArray(json)) {
    throw new ClarionError('CLARION_ERR_INGEST_INVALID_BATCH', 'A batch is a JSON array of structured CloudEvents', { errors: [{ pointer: '', message: 'must be an array' }] });
  }
  if (json.length === 0) {
    throw new ClarionError('CLARION_ERR_INGEST_INVALID_BATCH', 'The batch is empty', { errors: [{ pointer: '', message: 'must hold at least one event' }] });
  }
  if (json.length > MAX_BATCH) {
    throw new ClarionError('CLARION_ERR_INGEST_INVALID_BATCH', `A batch holds at most ${MAX_BATCH} events; this one has ${json.length}`, {
      errors: [{ pointer: '', message: `must hold at most ${MAX_BATCH} events` }],
    });
  }
  const errors: FieldError[] = [];
  const events = json.map((item, index) => fromStructured(item, `/${index}`, errors));
  if (errors.length > 0) {
    const bad = new Set(errors.map((e) => e.pointer.split('/')[1])).size;
    throw new ClarionError('CLARION_ERR_INGEST_INVALID_BATCH', `${bad} of ${json.length} events are invalid; nothing of the batch was accepted`, { errors });
  }
  return { mode, events: events as IncomingEvent[] };
}

export function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ClarionError('CLARION_ERR_HTTP_MALFORMED_JSON', `The body is not valid JSON: ${(err as Error).message}`, {
      errors: [{ pointer: '', message: 'must be valid JSON' }],
    });
  }
}

function decode(body: Buffer, charset: string | undefined): string {
  try {
    return new TextDecoder(charset ?? 'utf-8', { fatal: true }).decode(body);
  } catch (err) {
    if (err instanceof RangeError && /encoding|label/i.test(err.message)) {
      throw new ClarionError('CLARION_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE', `charset=${charset} is not a known character encoding (use utf-8)`);
    }
    throw new ClarionError('CLARION_ERR_HTTP_MALFORMED_JSON', `The body is not valid ${charset ?? 'utf-8'} text`, { errors: [{ pointer: '', message: 'must be valid text' }] });
  }
}

function fromStructured(raw: unknown, prefix: string, errors: FieldError[]): IncomingEvent | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    errors.push({ pointer: prefix, message: 'must be a JSON object holding a CloudEvent' });
    return undefined;
  }
  const obj = raw as Record<string, unknown>;
  if ('data' in obj && 'data_base64' in obj) errors.push({ pointer: `${prefix}/data_base64`, message: 'must not be sent together with data' });
  if ('data_base64' in obj && (typeof obj.data_base64 !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(obj.data_base64))) {
    errors.push({ pointer: `${prefix}/data_base64`, message: 'must be a base64 string' });
  }
  const attributes: Record<string, unknown> = {};
  const extensions: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(obj)) {
    if (key === 'data' || key === 'data_base64') continue;
    if (CONTEXT_ATTRIBUTES.has(key)) attributes[key] = value;
    else if (!EXTENSION_NAME.test(key)) errors.push({ pointer: `${prefix}/${escapePointer(key)}`, message: 'is not a valid attribute name: lower-case letters and digits, at most 20' });
    else if (value === null) continue;
    else if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      errors.push({ pointer: `${prefix}/${key}`, message: 'must be a string, number or boolean (extension attribute)' });
    } else extensions[key] = value;
  }
  return build(attributes, extensions, { data: obj.data, hasData: 'data' in obj, dataBase64: obj.data_base64 as string | undefined }, prefix, errors, (name) => `${prefix}/${name}`);
}

function fromBinary(headers: Record<string, string | string[] | undefined>, body: Buffer, media: MediaType | undefined): IncomingEvent {
  const attributes: Record<string, unknown> = {};
  const extensions: Record<string, string> = {};
  const errors: FieldError[] = [];
  for (const [header, rawValue] of Object.entries(headers)) {
    const lower = header.toLowerCase();
    if (!lower.startsWith('ce-')) continue;
    const name = lower.slice(3);
    let value = first(rawValue) ?? '';
    try {
      value = decodeURIComponent(value);
    } catch {
      errors.push({ pointer: `/${name}`, message: `header ${lower} is not validly percent-encoded` });
    }
    if (name === 'datacontenttype') errors.push({ pointer: '/datacontenttype', message: 'is carried by Content-Type in binary mode, not ce-datacontenttype' });
    else if (CONTEXT_ATTRIBUTES.has(name)) attributes[name] = value;
    else if (!EXTENSION_NAME.test(name)) errors.push({ pointer: `/${name}`, message: `header ${lower} does not name a valid attribute: lower-case letters and digits, at most 20` });
    else extensions[name] = value;
  }
  const contentType = first(headers['content-type']);
  if (contentType) attributes.datacontenttype = contentType;

  let data: unknown;
  let dataBase64: string | undefined;
  const hasData = body.length > 0;
  if (hasData) {
    if (!media || isJsonMedia(media.essence)) {
      try {
        data = JSON.parse(decode(body, media?.charset));
      } catch (err) {
        if (err instanceof ClarionError && err.code === 'CLARION_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE') throw err;
        if (media) throw new ClarionError('CLARION_ERR_HTTP_MALFORMED_JSON', `The body is ${media.essence} but not valid JSON`, { errors: [{ pointer: '/data', message: 'must be valid JSON' }] });
        dataBase64 = body.toString('base64');
      }
    } else if (media.essence.startsWith('text/')) {
      data = decode(body, media.charset);
    } else {
      dataBase64 = body.toString('base64');
    }
  }
  const event = build(attributes, extensions, { data, hasData: hasData && dataBase64 === undefined, dataBase64 }, '', errors, (name) => `/${name}`, 'header ce-');
  if (errors.length > 0 || !event) throw invalidEvent(errors);
  return event;
}

function build(
  attributes: Record<string, unknown>,
  extensions: Record<string, string | number | boolean>,
  payload: { data: unknown; hasData: boolean; dataBase64: string | undefined },
  prefix: string,
  errors: FieldError[],
  at: (name: string) => string,
  headerHint = '',
): IncomingEvent | undefined {
  const before = errors.length;
  for (const name of REQUIRED) {
    const value = attributes[name];
    if (value === undefined || value === null) errors.push({ pointer: at(name), message: `${headerHint ? `${headerHint}${name} ` : ''}is required` });
    else if (typeof value !== 'string' || value === '') errors.push({ pointer: at(name), message: 'must be a non-empty string' });
  }
  if (typeof attributes.specversion === 'string' && attributes.specversion !== '' && attributes.specversion !== '1.0') {
    errors.push({ pointer: at('specversion'), message: `must be "1.0" (got "${attributes.specversion}")` });
  }
  for (const name of ['subject', 'datacontenttype', 'dataschema'] as const) {
    if (attributes[name] !== undefined && (typeof attributes[name] !== 'string' || attributes[name] === '')) {
      errors.push({ pointer: at(name), message: 'must be a non-empty string' });
    }
  }
  if (attributes.time !== undefined && (typeof attributes.time !== 'string' || !RFC3339.test(attributes.time) || Number.isNaN(Date.parse(attributes.time)))) {
    errors.push({ pointer: at('time'), message: 'must be an RFC 3339 timestamp such as 2026-11-21T10:00:00Z' });
  }
  if (payload.hasData && payload.data !== undefined && JSON.stringify(payload.data)?.includes('\\u0000')) {
    errors.push({ pointer: at('data'), message: 'must not contain the NUL character (\\u0000)' });
  }
  if (errors.length > before) return undefined;

  // The SDK's own checks (URI references, extension names and values) on what passed ours.
  try {
    new CloudEvent({ ...extensions, ...attributes, ...(payload.hasData ? { data: payload.data } : {}) }, false).validate();
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    const sdkErrors = (err as ValidationError).errors as Array<{ instancePath?: string; message?: string } | string>;
    if (sdkErrors.length === 0) errors.push({ pointer: prefix, message: err.message });
    for (const e of sdkErrors) {
      if (typeof e === 'string') errors.push({ pointer: prefix, message: e });
      else errors.push({ pointer: `${prefix}${e.instancePath ?? ''}`, message: e.message ?? 'is invalid' });
    }
    return undefined;
  }

  const event: IncomingEvent = {
    id: attributes.id as string,
    source: attributes.source as string,
    type: attributes.type as string,
    specversion: '1.0',
    extensions,
  };
  for (const name of ['subject', 'time', 'datacontenttype', 'dataschema'] as const) {
    if (typeof attributes[name] === 'string') event[name] = attributes[name] as string;
  }
  if (payload.dataBase64 !== undefined) event.dataBase64 = payload.dataBase64;
  else if (payload.hasData) event.data = payload.data;
  return event;
}

function invalidEvent(errors: FieldError[]): ClarionError {
  return new ClarionError('CLARION_ERR_INGEST_INVALID_EVENT', `The CloudEvent is invalid: ${errors.map((e) => `${e.pointer || '(event)'} ${e.message}`).join('; ')}`, { errors });
}

export function isJsonMedia(essence: string): boolean {
  return essence === 'application/json' || essence === 'text/json' || essence.endsWith('+json');
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function escapePointer(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

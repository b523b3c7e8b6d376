import { CloudEvent, ValidationError } from 'cloudevents';
import { ClarionError, type FieldError } from '../errors.ts';
import { decodeText, parseJson, stringProblem, type ParsedJson } from './json.ts';
import { EXTENSION_NAME, MAX_BATCH, MAX_DATACONTENTTYPE_BYTES, MAX_DATASCHEMA_BYTES, MAX_EXTENSION_VALUE_BYTES, MAX_EXTENSIONS, MAX_ID_BYTES, MAX_JSON_DEPTH, MAX_SOURCE_BYTES, MAX_SUBJECT_BYTES, MAX_TIME_FRACTION_DIGITS, MAX_TYPE_BYTES } from './limits.ts';

/**
 * Turns an HTTP request into CloudEvents, in any of the three HTTP content modes (binary,
 * structured, batched). The SDK fills in what is missing (a random `id`, `specversion` 1.0, the
 * current `time`) and its parser accepts events without a `type`, so the required attributes are
 * checked here on what was actually sent, and then the SDK's own `validate()` runs as well.
 *
 * An event is stored exactly as accepted or refused: the limits of ./limits.ts apply, and the
 * JSON is read by ./json.ts, which refuses what PostgreSQL would reject or change (NUL, unpaired
 * surrogates, numbers a double cannot hold) and nesting that would overflow the stack. Pointers
 * name the field: `/id`, `/data/a/b`, `/3/source` in a batch, `header:ce-id` in binary mode.
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
const RFC3339 = new RegExp(`^\\d{4}-\\d{2}-\\d{2}[Tt]\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,${MAX_TIME_FRACTION_DIGITS}})?([Zz]|[+-]\\d{2}:\\d{2})$`);
/** The most bytes each string attribute may have (UTF-8). */
const MAX_BYTES = {
  id: MAX_ID_BYTES,
  source: MAX_SOURCE_BYTES,
  type: MAX_TYPE_BYTES,
  subject: MAX_SUBJECT_BYTES,
  datacontenttype: MAX_DATACONTENTTYPE_BYTES,
  dataschema: MAX_DATASCHEMA_BYTES,
} as const;
/** What a binary-mode header value may hold: printable ASCII (the HTTP binding percent-encodes the rest). */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

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

  // The envelope's levels (an event's object, a batch's array) do not count against data's depth.
  const parsed = parseJson(decodeText(body, media?.charset), MAX_JSON_DEPTH, mode === 'batch' ? 2 : 1);
  const json = parsed.value;
  if (mode === 'structured') {
    const errors: FieldError[] = [...parsed.problems];
    const event = fromStructured(json, '', errors, parsed.roots.size > 0);
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
  // Every event is judged, as ever: the errors of all of them come back together.
  const errors: FieldError[] = [...parsed.problems];
  const events = json.map((item, index) => fromStructured(item, `/${index}`, errors, parsed.roots.has(String(index))));
  if (errors.length > 0) {
    const bad = new Set([...errors.map((e) => e.pointer.split('/')[1]), ...parsed.roots]).size;
    throw new ClarionError('CLARION_ERR_INGEST_INVALID_BATCH', `${bad} of ${json.length} events are invalid; nothing of the batch was accepted`, { errors });
  }
  return { mode, events: events as IncomingEvent[] };
}

/**
 * `flagged`: the JSON scan already found something wrong inside this event, so its data (which
 * may nest too deeply to walk) is not handed to the SDK; the envelope is still judged.
 */
function fromStructured(raw: unknown, prefix: string, errors: FieldError[], flagged: boolean): IncomingEvent | undefined {
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
  const extensionKeys = Object.keys(obj).filter((key) => key !== 'data' && key !== 'data_base64' && !CONTEXT_ATTRIBUTES.has(key));
  for (const key of CONTEXT_ATTRIBUTES) if (Object.hasOwn(obj, key)) attributes[key] = obj[key];
  if (extensionKeys.length > MAX_EXTENSIONS) {
    // One error, not one per attribute: an event can be a megabyte of attribute names.
    errors.push({ pointer: `${prefix}/${escapePointer(extensionKeys[MAX_EXTENSIONS])}`, message: tooManyExtensions(extensionKeys.length) });
  } else {
    for (const key of extensionKeys) {
      const value = obj[key];
      if (!EXTENSION_NAME.test(key)) errors.push({ pointer: `${prefix}/${escapePointer(key)}`, message: 'is not a valid attribute name: lower-case letters and digits, at most 20' });
      else if (value === null) continue;
      else if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
        errors.push({ pointer: `${prefix}/${key}`, message: 'must be a string, number or boolean (extension attribute)' });
      } else extensions[key] = value;
    }
  }
  return build(
    attributes,
    extensions,
    { data: obj.data, hasData: 'data' in obj, dataBase64: obj.data_base64 as string | undefined, flagged },
    prefix,
    errors,
    (name) => `${prefix}/${name}`,
  );
}

function fromBinary(headers: Record<string, string | string[] | undefined>, body: Buffer, media: MediaType | undefined): IncomingEvent {
  const attributes: Record<string, unknown> = {};
  const extensions: Record<string, string> = {};
  const errors: FieldError[] = [];
  const at = (name: string) => (name === 'datacontenttype' ? 'header:content-type' : `header:ce-${name}`);
  const ceHeaders = Object.entries(headers).filter(([header]) => header.toLowerCase().startsWith('ce-'));
  const extensionCount = ceHeaders.filter(([header]) => !CONTEXT_ATTRIBUTES.has(header.toLowerCase().slice(3))).length;
  let extensionsSeen = 0;
  for (const [header, rawValue] of ceHeaders) {
    const lower = header.toLowerCase();
    const name = lower.slice(3);
    const pointer = `header:${lower}`;
    if (name === 'datacontenttype') {
      errors.push({ pointer, message: 'is not used in binary mode: the data content type is the Content-Type header' });
      continue;
    }
    const extension = !CONTEXT_ATTRIBUTES.has(name);
    if (extension && ++extensionsSeen > MAX_EXTENSIONS) {
      if (extensionsSeen === MAX_EXTENSIONS + 1) errors.push({ pointer, message: tooManyExtensions(extensionCount) });
      continue;
    }
    if (extension && !EXTENSION_NAME.test(name)) {
      errors.push({ pointer, message: 'does not name a valid attribute: lower-case letters and digits, at most 20' });
      continue;
    }
    const value = headerValue(first(rawValue) ?? '', pointer, errors);
    if (value === undefined) continue;
    if (extension) extensions[name] = value;
    else attributes[name] = value;
  }
  const contentType = first(headers['content-type']);
  if (contentType !== undefined) {
    if (PRINTABLE_ASCII.test(contentType)) attributes.datacontenttype = contentType;
    else errors.push({ pointer: 'header:content-type', message: 'must be printable ASCII' });
  }

  let data: unknown;
  let dataBase64: string | undefined;
  let flagged = false;
  const hasData = body.length > 0;
  if (hasData) {
    if (!media || isJsonMedia(media.essence)) {
      let parsed: ParsedJson | undefined;
      try {
        parsed = parseJson(decodeText(body, media?.charset, '/data'), MAX_JSON_DEPTH);
      } catch (err) {
        if (err instanceof ClarionError && err.code === 'CLARION_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE') throw err;
        if (media) throw new ClarionError('CLARION_ERR_HTTP_MALFORMED_JSON', `The body is ${media.essence} but not valid JSON`, { errors: [{ pointer: '/data', message: 'must be valid JSON' }] });
        dataBase64 = body.toString('base64');
      }
      if (parsed) {
        data = parsed.value;
        flagged = parsed.roots.size > 0;
        errors.push(...parsed.problems.map((p) => ({ pointer: `/data${p.pointer}`, message: p.message })));
      }
    } else if (media.essence.startsWith('text/')) {
      data = decodeText(body, media.charset, '/data');
      const problem = stringProblem(data as string);
      if (problem) errors.push({ pointer: '/data', message: `${problem}: send such data as application/octet-stream` });
    } else {
      dataBase64 = body.toString('base64');
    }
  }
  const event = build(attributes, extensions, { data, hasData: hasData && dataBase64 === undefined, dataBase64, flagged }, '', errors, at);
  if (errors.length > 0 || !event) throw invalidEvent(errors);
  return event;
}

/**
 * A binary-mode header as the attribute it carries. The HTTP binding percent-encodes everything
 * outside printable ASCII as UTF-8; raw bytes beyond it are ambiguous (Node reads them as
 * Latin-1, a client may have meant UTF-8), so they are refused rather than guessed at.
 */
function headerValue(raw: string, pointer: string, errors: FieldError[]): string | undefined {
  if (!PRINTABLE_ASCII.test(raw)) {
    errors.push({ pointer, message: 'must be printable ASCII: percent-encode other characters as UTF-8 (e.g. %C3%A9 for é)' });
    return undefined;
  }
  let value: string;
  try {
    value = decodeURIComponent(raw);
  } catch {
    errors.push({ pointer, message: 'is not validly percent-encoded UTF-8' });
    return undefined;
  }
  const problem = stringProblem(value);
  if (problem) {
    errors.push({ pointer, message: problem });
    return undefined;
  }
  return value;
}

function build(
  attributes: Record<string, unknown>,
  extensions: Record<string, string | number | boolean>,
  payload: { data: unknown; hasData: boolean; dataBase64: string | undefined; flagged: boolean },
  prefix: string,
  errors: FieldError[],
  at: (name: string) => string,
): IncomingEvent | undefined {
  const before = errors.length;
  for (const name of REQUIRED) {
    const value = attributes[name];
    if (value === undefined || value === null) {
      // A header refused for its characters is not also reported missing.
      if (!errors.some((e) => e.pointer === at(name))) errors.push({ pointer: at(name), message: 'is required' });
    }
    else if (typeof value !== 'string' || value === '') errors.push({ pointer: at(name), message: 'must be a non-empty string' });
  }
  if (typeof attributes.specversion === 'string' && attributes.specversion !== '' && attributes.specversion !== '1.0') {
    errors.push({ pointer: at('specversion'), message: `must be "1.0" (got "${attributes.specversion.slice(0, 20)}")` });
  }
  for (const name of ['subject', 'datacontenttype', 'dataschema'] as const) {
    if (attributes[name] !== undefined && (typeof attributes[name] !== 'string' || attributes[name] === '')) {
      errors.push({ pointer: at(name), message: 'must be a non-empty string' });
    }
  }
  for (const [name, max] of Object.entries(MAX_BYTES)) {
    const value = attributes[name];
    if (typeof value === 'string' && value.length > max / 3 && Buffer.byteLength(value) > max) errors.push({ pointer: at(name), message: tooLong(value, max) });
  }
  for (const [name, value] of Object.entries(extensions)) {
    if (typeof value === 'string' && value.length > MAX_EXTENSION_VALUE_BYTES / 3 && Buffer.byteLength(value) > MAX_EXTENSION_VALUE_BYTES) {
      errors.push({ pointer: at(name), message: tooLong(value, MAX_EXTENSION_VALUE_BYTES) });
    }
  }
  if (attributes.time !== undefined && (typeof attributes.time !== 'string' || !RFC3339.test(attributes.time) || Number.isNaN(Date.parse(attributes.time)))) {
    errors.push({ pointer: at('time'), message: `must be an RFC 3339 timestamp such as 2026-11-21T10:00:00Z (at most ${MAX_TIME_FRACTION_DIGITS} fractional digits)` });
  }
  if (errors.length > before || payload.flagged) return undefined;

  // The SDK's own checks (URI references, extension names and values) on what passed ours.
  try {
    new CloudEvent({ ...extensions, ...attributes, ...(payload.hasData ? { data: payload.data } : {}) }, false).validate();
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    const sdkErrors = (err as ValidationError).errors as Array<{ instancePath?: string; message?: string } | string>;
    if (sdkErrors.length === 0) errors.push({ pointer: prefix, message: err.message });
    for (const e of sdkErrors) {
      if (typeof e === 'string') errors.push({ pointer: prefix, message: e });
      else {
        const [, name, rest] = /^\/([^/]+)(.*)$/.exec(e.instancePath ?? '') ?? [];
        errors.push({ pointer: name ? `${at(name)}${rest}` : prefix, message: e.message ?? 'is invalid' });
      }
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

function tooLong(value: string, max: number): string {
  return `must be at most ${max} bytes (UTF-8); it has ${Buffer.byteLength(value)}`;
}

function tooManyExtensions(count: number): string {
  return `is one extension attribute too many: an event has at most ${MAX_EXTENSIONS} (this one has ${count})`;
}

function invalidEvent(errors: FieldError[]): ClarionError {
  const shown = errors.slice(0, 5).map((e) => `${e.pointer || '(event)'} ${e.message}`);
  const more = errors.length > 5 ? `; and ${errors.length - 5} more` : '';
  return new ClarionError('CLARION_ERR_INGEST_INVALID_EVENT', `The CloudEvent is invalid: ${shown.join('; ')}${more}`, { errors });
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

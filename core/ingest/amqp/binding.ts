import { ClarionError, type FieldError } from '../../errors.ts';
import { parseEvents, parseMediaType, type IncomingEvent, type Mode } from '../cloudevents.ts';

/**
 * The CloudEvents AMQP protocol binding, read from AMQP 0-9-1 (RabbitMQ) messages:
 *
 * - binary mode: the attributes are message headers (application properties) named
 *   `cloudEvents_<attribute>` (the binding's `cloudEvents:` prefix of earlier drafts is read as
 *   well), `datacontenttype` is the message's `content-type` property, the body is the data;
 * - structured mode: `content-type: application/cloudevents+json`, the body is the event;
 * - batches: `content-type: application/cloudevents-batch+json`, as over HTTP.
 *
 * Nothing is judged here: the message is put in the shape of an HTTP request and handed to the
 * HTTP path's parser (../cloudevents.ts), so an event is accepted or refused exactly as it would be
 * over HTTP, with the same limits. AMQP header values are typed and UTF-8 (the HTTP binding's
 * percent-encoding does not apply), so each string is percent-encoded on the way in and read back
 * as sent. Pointers in errors then name what the sender wrote: `header:cloudEvents_id`,
 * `property:content-type`.
 */

export interface AmqpMessage {
  contentType?: string;
  contentEncoding?: string;
  headers?: Record<string, unknown>;
  content: Buffer;
}

const PREFIXES = ['cloudEvents_', 'cloudEvents:'] as const;
const ACCEPTED = ['application/cloudevents+json', 'application/cloudevents-batch+json', 'binary mode (cloudEvents_* headers)'];

/** The CloudEvents of a message; throws a `ClarionError` naming every failing field. */
export function eventsFromMessage(message: AmqpMessage, maxBodyBytes: number): { mode: Mode; events: IncomingEvent[] } {
  if (message.contentEncoding !== undefined && message.contentEncoding !== '' && message.contentEncoding.toLowerCase() !== 'identity') {
    throw new ClarionError('CLARION_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE', `content-encoding ${message.contentEncoding.slice(0, 50)} is not supported: publish the body uncompressed`, {
      errors: [{ pointer: 'property:content-encoding', message: 'must be unset (or identity)' }],
    });
  }
  if (message.content.length > maxBodyBytes) {
    throw new ClarionError('CLARION_ERR_HTTP_BODY_TOO_LARGE', `The body (${message.content.length} bytes) exceeds the limit of ${maxBodyBytes} bytes (CLARION_MAX_BODY_BYTES)`);
  }
  const headers: Record<string, string> = {};
  const names = new Map<string, string>();
  const errors: FieldError[] = [];
  for (const [header, value] of Object.entries(message.headers ?? {})) {
    const prefix = PREFIXES.find((p) => header.startsWith(p));
    if (!prefix) continue;
    const name = header.slice(prefix.length);
    const pointer = `header:${header}`;
    if (name !== name.toLowerCase()) {
      // HTTP headers are case-insensitive; AMQP's are not, so `cloudEvents_ID` is not `id`.
      errors.push({ pointer, message: 'does not name a valid attribute: attribute names are lower-case' });
      continue;
    }
    const text = headerText(value);
    if (text === undefined) {
      errors.push({ pointer, message: 'must be a string, number or boolean (UTF-8 text)' });
      continue;
    }
    names.set(name, header);
    headers[`ce-${name}`] = text;
  }
  const media = parseMediaType(message.contentType);
  const structured = media?.essence.startsWith('application/cloudevents') ?? false;
  if (!structured && names.size === 0 && errors.length === 0) {
    throw new ClarionError(
      'CLARION_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE',
      `The message carries no CloudEvent (content-type ${media ? media.essence : '(none)'}, no cloudEvents_* headers): publish application/cloudevents+json, application/cloudevents-batch+json, or binary mode with cloudEvents_id, cloudEvents_source, cloudEvents_type and cloudEvents_specversion headers`,
      { extensions: { accepted: ACCEPTED } },
    );
  }
  // In structured mode the body is the event: headers are not attributes.
  const earlier = structured ? [] : errors;
  if (message.contentType !== undefined) headers['content-type'] = message.contentType;
  let parsed: { mode: Mode; events: IncomingEvent[] };
  try {
    parsed = parseEvents(headers, message.content);
  } catch (err) {
    if (!(err instanceof ClarionError)) throw err;
    throw inAmqpTerms(err, names, earlier);
  }
  if (earlier.length > 0) throw new ClarionError('CLARION_ERR_INGEST_INVALID_EVENT', `The CloudEvent is invalid: ${earlier.map((e) => `${e.pointer} ${e.message}`).join('; ')}`, { errors: earlier });
  return parsed;
}

/** A typed AMQP header value as the text of a binary-mode HTTP header (percent-encoded), or undefined. */
function headerText(value: unknown): string | undefined {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
  else if (typeof value === 'bigint') text = String(value);
  else if (typeof value === 'boolean') text = String(value);
  else if (Buffer.isBuffer(value)) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(value);
    } catch {
      return undefined;
    }
  } else return undefined;
  try {
    return encodeURIComponent(text);
  } catch {
    return undefined; // an unpaired surrogate: not UTF-8 text
  }
}

/** The HTTP parser's error, with pointers and messages naming the message's own headers and properties. */
function inAmqpTerms(err: ClarionError, names: Map<string, string>, earlier: FieldError[]): ClarionError {
  const rename = (text: string) =>
    text
      .replace(/header:ce-([a-z0-9]+)/g, (_, name: string) => `header:${names.get(name) ?? `cloudEvents_${name}`}`)
      .replace(/header:content-type/g, 'property:content-type')
      .replace(/\(ce-\* headers\)/g, '(cloudEvents_* headers)');
  // A header refused for its type is not also reported missing.
  const refused = new Set(earlier.map((e) => e.pointer));
  const errors = [...earlier, ...err.errors.map((e) => ({ pointer: rename(e.pointer), message: rename(e.message) })).filter((e) => !refused.has(e.pointer))];
  const extensions = Array.isArray(err.extensions.accepted) ? { ...err.extensions, accepted: ACCEPTED } : err.extensions;
  return new ClarionError(err.code, rename(err.message), { errors, extensions, cause: err.cause });
}

/** Headers of a refused message as it goes to the dead-letter queue: the problem document added, the API key removed. */
export function deadLetterHeaders(original: Record<string, unknown> | undefined, problem: Record<string, unknown>, queue: string, refusedAt: Date): Record<string, unknown> {
  const headers: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(original ?? {})) {
    // The key authenticated the message; it has no business sitting in a queue anyone may browse.
    if (name.toLowerCase() === 'authorization') continue;
    headers[name] = value;
  }
  headers['x-clarion-problem'] = boundedProblem(problem);
  headers['x-clarion-error-code'] = problem.code;
  headers['x-clarion-queue'] = queue;
  headers['x-clarion-refused-at'] = refusedAt.toISOString();
  return headers;
}

/** Headers must fit the broker's frame (and amqplib's 64 KiB table buffer): at most this much problem text. */
export const MAX_PROBLEM_HEADER_BYTES = 16_384;

/** The problem document as JSON text, its `errors` cut (and counted in `errorsOmitted`) to fit a header. */
function boundedProblem(problem: Record<string, unknown>): string {
  let text = JSON.stringify(problem);
  if (Buffer.byteLength(text) <= MAX_PROBLEM_HEADER_BYTES) return text;
  const errors = Array.isArray(problem.errors) ? (problem.errors as unknown[]) : [];
  let kept = errors.length;
  while (kept > 0) {
    kept = Math.floor(kept / 2);
    text = JSON.stringify({ ...problem, errors: errors.slice(0, kept), errorsOmitted: errors.length - kept });
    if (Buffer.byteLength(text) <= MAX_PROBLEM_HEADER_BYTES) return text;
  }
  const { errors: _dropped, ...rest } = problem;
  return JSON.stringify({ ...rest, detail: String(problem.detail ?? '').slice(0, 2000), errorsOmitted: errors.length });
}

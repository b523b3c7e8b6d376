import type Router from '@koa/router';
import type { Context, Next } from 'koa';
import getRawBody from 'raw-body';
import type { Logger } from 'pino';
import { isDatabaseUnavailable } from '../db/unavailable.ts';
import { ClarionError, problemDocument, type FieldError } from '../errors.ts';
import { parseMediaType } from '../ingest/cloudevents.ts';
import { decodeText, parseJsonBody, stringProblem } from '../ingest/json.ts';
import { DEFAULT_PAGE_SIZE, PageQuery, queryReader } from '../kernel/schema.ts';

/** What a 503 tells the client to wait before it retries (`Retry-After`). */
export const RETRY_AFTER_SECONDS = 2;

/**
 * The one error middleware: every error becomes an RFC 9457 problem document. Messages are shown
 * for client errors only; a server error says no more than its code and the request id.
 */
export function problemMiddleware(log: Logger) {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new ClarionError('CLARION_ERR_HTTP_NOT_FOUND', `No route ${ctx.method} ${ctx.path}`);
      }
    } catch (err) {
      const error = toClarionError(err);
      const status = error.status;
      // A 503 says "not now": the database or the renderers are away, and the client retries.
      const unavailable = status === 503;
      if (unavailable) (ctx.state.log ?? log).warn({ err: { message: (err as Error)?.message, code: (err as { code?: string })?.code }, reqId: ctx.state.reqId }, 'request refused: service unavailable');
      else if (status >= 500) (ctx.state.log ?? log).error({ err, reqId: ctx.state.reqId }, 'request failed');
      ctx.status = status;
      ctx.type = 'application/problem+json';
      if (unavailable) ctx.set('Retry-After', String(RETRY_AFTER_SECONDS));
      ctx.body = problemDocument(error, ctx.path, ctx.state.reqId);
      // A body we refused before reading it all would desynchronise a kept-alive connection.
      if (!ctx.req.readableEnded) ctx.set('Connection', 'close');
      if (status === 405 && Array.isArray(error.extensions.allowed)) ctx.set('Allow', (error.extensions.allowed as string[]).join(', '));
      if (status === 503 && typeof error.extensions.retryAfter === 'number') ctx.set('Retry-After', String(error.extensions.retryAfter));
    }
  };
}

function toClarionError(err: unknown): ClarionError {
  if (err instanceof ClarionError) return err;
  const e = err as { status?: number; expose?: boolean; message?: string; code?: string; type?: string };
  if (e?.type === 'entity.too.large' || e?.status === 413) {
    return new ClarionError('CLARION_ERR_HTTP_BODY_TOO_LARGE', `The body exceeds the limit of ${(e as { limit?: number }).limit ?? 'the configured'} bytes (CLARION_MAX_BODY_BYTES)`);
  }
  if (e?.type === 'request.size.invalid' || e?.type === 'request.aborted') {
    return new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'The request body was cut short');
  }
  if (isDatabaseUnavailable(err)) {
    return new ClarionError('CLARION_ERR_DB_UNAVAILABLE', `The database is unavailable: retry in ${RETRY_AFTER_SECONDS} s (Retry-After); an event sent again is never stored twice`, { cause: err });
  }
  return new ClarionError('CLARION_ERR_SERVER_INTERNAL', 'Internal error', { cause: err });
}

export async function readBody(ctx: Context, limit: number): Promise<Buffer> {
  const declared = Number(ctx.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    // Refuse before reading: a client announcing too much is told at once.
    throw new ClarionError('CLARION_ERR_HTTP_BODY_TOO_LARGE', `The body (${declared} bytes) exceeds the limit of ${limit} bytes (CLARION_MAX_BODY_BYTES)`);
  }
  return getRawBody(ctx.req, { limit, length: ctx.get('content-length') || undefined });
}

/** Reads a JSON request body (application/json or any +json type). */
export async function readJson(ctx: Context, limit: number): Promise<unknown> {
  const media = parseMediaType(ctx.get('content-type'));
  if (!media || !(media.essence === 'application/json' || media.essence.endsWith('+json'))) {
    throw new ClarionError('CLARION_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE', `Send the body as application/json (got ${media?.essence ?? 'no Content-Type'})`);
  }
  const body = await readBody(ctx, limit);
  return parseJsonBody(decodeText(body, media.charset));
}

/**
 * Refuses query parameters that no column could hold: a `%00` decodes to the NUL character, which
 * PostgreSQL refuses in text (a 500 from any query naming it).
 */
export async function queryGuard(ctx: Context, next: Next): Promise<void> {
  const errors: FieldError[] = [];
  for (const [name, value] of Object.entries(ctx.query)) {
    const problem = [name, ...(Array.isArray(value) ? value : [value ?? ''])].map(stringProblem).find(Boolean);
    if (problem) errors.push({ pointer: `/query/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`, message: problem });
  }
  if (errors.length > 0) throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'Invalid query parameters', { errors });
  await next();
}

/** The same for every path parameter of every route of `router` (`/path/<name>`), before its handler runs. */
export function guardPathParams(router: Router): void {
  const names = new Set(router.stack.flatMap((layer) => layer.paramNames.map((key) => String(key.name))));
  for (const name of names) {
    router.param(name, (value, _ctx, next) => {
      const problem = stringProblem(value);
      if (problem) throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', `Invalid path parameter ${name}`, { errors: [{ pointer: `/path/${name}`, message: problem }] });
      return next();
    });
  }
}

const readPage = queryReader(PageQuery);

/** Reads the `limit` and `cursor` query parameters of a list that takes nothing else (PageQuery, core/kernel/schema.ts). */
export function pageParams(ctx: Context): { limit: number; cursor?: string } {
  const { limit = DEFAULT_PAGE_SIZE, cursor } = readQuery(ctx, readPage);
  return { limit, cursor };
}

export function queryString(ctx: Context, name: string): string | undefined {
  const value = ctx.query[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The query of `ctx` read by `reader` (core/kernel/schema.ts queryReader), or a 400 naming each bad parameter. */
export function readQuery<T>(ctx: Context, reader: (query: Context['query']) => { value: T; errors?: undefined } | { value?: undefined; errors: FieldError[] }): T {
  const { value, errors } = reader(ctx.query);
  if (errors) throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'Invalid query parameters', { errors });
  return value;
}

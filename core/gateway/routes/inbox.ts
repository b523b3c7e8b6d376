import type Router from '@koa/router';
import type { Context } from 'koa';
import { ClarionError } from '../../errors.ts';
import { parseCursor } from '../../realtime/hub.ts';
import type { InboxFilter, StatusFilter } from '../../realtime/feed.ts';
import { inboxFilterQuery, inboxListQuery, itemPatchSchema, markSchema, type ItemPatch, type MarkRequest } from '../../realtime/schemas.ts';
import { DEFAULT_PAGE_SIZE, queryReader, schemaAjv, type Static } from '../../kernel/schema.ts';
import { checkBody } from '../../realtime/service.ts';
import type { Services } from '../../services.ts';
import { auth, requireSubscriber, subscriber } from '../auth.ts';
import { readJson, readQuery } from '../http.ts';

const ajv = schemaAjv();
const validatePatch = ajv.compile<ItemPatch>(itemPatchSchema);
const validateMark = ajv.compile<MarkRequest>(markSchema);

const readInboxList = queryReader(inboxListQuery);
const readInboxFilter = queryReader(inboxFilterQuery);

/** The inbox filters of a checked query, as the feed takes them. */
function inboxFilter(query: Static<typeof inboxFilterQuery> & { status?: StatusFilter }): InboxFilter {
  return { status: query.status, categories: query.category, workflows: query.workflow, tags: query.tags, since: query.since, until: query.until };
}

/** Reads an optional JSON body: none (no Content-Type and no length) is `{}`. */
async function optionalJson(ctx: Context, limit: number): Promise<unknown> {
  if (!ctx.get('content-type') && !Number(ctx.get('content-length'))) return {};
  return readJson(ctx, limit);
}

/** What the tenant's servers do for the inbox (API key): the inbox secret, and tokens for subscribers. */
export function inboxAdminRoutes(services: Services, router: Router): void {
  router.get('/v1/tenant/inbox-secret', async (ctx) => {
    const { tenant, actor } = auth(ctx);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await services.inbox.auth.secret(tenant.id, actor);
  });
  router.post('/v1/tenant/inbox-secret', async (ctx) => {
    const { tenant, actor } = auth(ctx);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await services.inbox.auth.rotate(tenant.id, actor);
  });
  router.get('/v1/subscribers/:subscriberId/presence', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await services.inbox.presenceOf(auth(ctx).tenant.id, ctx.params.subscriberId);
  });
  router.post('/v1/subscribers/:subscriberId/inbox-token', async (ctx) => {
    const { tenant, actor } = auth(ctx);
    const body = await optionalJson(ctx, services.config.maxBodyBytes);
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 201;
    ctx.body = await services.inbox.mintToken(tenant.id, ctx.params.subscriberId, body, actor);
  });
}

/** The subscriber's own routes (an inbox token, or a subscriber hash exchanged for one). */
export function inboxRoutes(services: Services, router: Router): void {
  router.post('/v1/inbox/session', async (ctx) => {
    const body = await readJson(ctx, services.config.maxBodyBytes);
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 201;
    ctx.body = await services.inbox.session(body);
  });

  const read = requireSubscriber(services.inbox, 'inbox:read');
  const write = requireSubscriber(services.inbox, 'inbox:write');
  const preferences = requireSubscriber(services.inbox, 'preferences');

  router.get('/v1/inbox', read, async (ctx) => {
    const { limit = DEFAULT_PAGE_SIZE, cursor, ...filters } = readQuery(ctx, readInboxList);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await services.inbox.feed.list(subscriber(ctx), inboxFilter(filters), { limit, cursor });
  });
  // WebSocket upgrades of this path never reach here (the HTTP server hands them to the hub).
  router.get('/v1/inbox/stream', async (ctx) => {
    if (!/(^|,)\s*text\/event-stream/i.test(ctx.get('accept'))) {
      throw new ClarionError('CLARION_ERR_INBOX_STREAM_PROTOCOL', 'Open the stream as a WebSocket (Upgrade: websocket) or as Server-Sent Events (Accept: text/event-stream)', {
        errors: [{ pointer: 'header:accept', message: 'must accept text/event-stream (or upgrade to a WebSocket)' }],
      });
    }
    const who = await services.inbox.fromRequest(ctx.get('authorization'), ctx.query.token, 'inbox:read', (name, value) => ctx.set(name, value));
    // EventSource sends the id of the last event it had when it reconnects by itself.
    const cursor = parseCursor(ctx.get('last-event-id') || (typeof ctx.query.cursor === 'string' ? ctx.query.cursor : undefined));
    ctx.respond = false;
    services.inbox.hub.sse(who, ctx.req, ctx.res, cursor);
  });
  router.get('/v1/inbox/counts', read, async (ctx) => {
    const filter = inboxFilter(readQuery(ctx, readInboxFilter));
    if (ctx.query.status !== undefined && ctx.query.status !== '') throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'Invalid query parameters', { errors: [{ pointer: '/query/status', message: 'does not apply to counts (they count the inbox: total, unread, unseen)' }] });
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await services.inbox.feed.counts(subscriber(ctx), filter);
  });
  router.post('/v1/inbox/mark', write, async (ctx) => {
    const body = checkBody(validateMark, await readJson(ctx, services.config.maxBodyBytes), 'mark request');
    const f = body.filter ?? {};
    ctx.body = await services.inbox.feed.mark(subscriber(ctx), body.action, { categories: f.category, workflows: f.workflow, tags: f.tags, since: f.since, until: f.until }, body.ids);
  });
  router.get('/v1/inbox/preferences', preferences, async (ctx) => {
    const who = subscriber(ctx);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await services.preferences.forSubscriber(who.tenantId, who.externalId);
  });
  router.patch('/v1/inbox/preferences', preferences, async (ctx) => {
    const who = subscriber(ctx);
    const body = await readJson(ctx, services.config.maxBodyBytes);
    // The subscriber's own scope only, merged into what is there (one switch at a time).
    await services.preferences.put(who.tenantId, 'subscriber', who.externalId, body, who.actor, { merge: true });
    ctx.body = await services.preferences.forSubscriber(who.tenantId, who.externalId);
  });
  router.patch('/v1/inbox/:itemId', write, async (ctx) => {
    const body = await readJson(ctx, services.config.maxBodyBytes);
    const patch = checkBody(validatePatch, body, 'item change');
    if (Object.keys(patch).length === 0) {
      throw new ClarionError('CLARION_ERR_INBOX_INVALID', 'Invalid item change', { errors: [{ pointer: '', message: 'send at least one of seen, read, archived, snoozedUntil' }] });
    }
    ctx.body = await services.inbox.feed.update(subscriber(ctx), ctx.params.itemId, patch);
  });
  router.post('/v1/inbox/:itemId/actions/:key', write, async (ctx) => {
    // The body carries nothing the path does not: read (up to the limit) and drop it.
    if (ctx.get('content-type')) await readJson(ctx, services.config.maxBodyBytes);
    ctx.body = await services.inbox.feed.act(subscriber(ctx), ctx.params.itemId, ctx.params.key);
  });
}

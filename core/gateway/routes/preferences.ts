import type Router from '@koa/router';
import type { Context } from 'koa';
import { ClarionError } from '../../errors.ts';
import type { Services } from '../../services.ts';
import { auth } from '../auth.ts';
import { readBody, readJson } from '../http.ts';

/** Preferences at every scope, a subscriber's resolved view, and acknowledgement through the API. */
export function preferenceRoutes(services: Services, router: Router): void {
  router.get('/v1/subscribers/:subscriberId/preferences', async (ctx) => {
    ctx.body = await services.preferences.forSubscriber(auth(ctx).tenant.id, ctx.params.subscriberId);
  });
  router.put('/v1/subscribers/:subscriberId/preferences', async (ctx) => {
    const { tenant, actor } = auth(ctx);
    const body = await readJson(ctx, services.config.maxBodyBytes);
    await services.preferences.put(tenant.id, 'subscriber', ctx.params.subscriberId, body, actor);
    ctx.body = await services.preferences.forSubscriber(tenant.id, ctx.params.subscriberId);
  });
  router.get('/v1/preferences/:scope/:scopeId', async (ctx) => {
    ctx.body = await services.preferences.get(auth(ctx).tenant.id, ctx.params.scope, ctx.params.scopeId);
  });
  router.put('/v1/preferences/:scope/:scopeId', async (ctx) => {
    const { tenant, actor } = auth(ctx);
    const body = await readJson(ctx, services.config.maxBodyBytes);
    ctx.body = await services.preferences.put(tenant.id, ctx.params.scope, ctx.params.scopeId, body, actor);
  });
  router.post('/v1/subscribers/:subscriberId/token', async (ctx) => {
    const { tenant, actor } = auth(ctx);
    const body = ctx.get('content-type') ? ((await readJson(ctx, services.config.maxBodyBytes)) as { ttlSeconds?: unknown }) : {};
    const ttl = body?.ttlSeconds ?? 86_400;
    if (!Number.isInteger(ttl) || (ttl as number) < 60 || (ttl as number) > 30 * 86_400) {
      throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'Invalid token request', { errors: [{ pointer: '/ttlSeconds', message: 'must be an integer from 60 to 2592000 (30 days)' }] });
    }
    const subscriber = await services.subscribers.get(tenant.id, ctx.params.subscriberId);
    const token = await services.preferences.issueSubscriberToken(tenant.id, subscriber, ttl as number, actor);
    ctx.status = 201;
    ctx.body = token;
  });
}

/**
 * `POST /v1/notifications/:id/ack`: with the tenant's API key, or with the subscriber's own token
 * (`POST /v1/subscribers/:id/token`), which acknowledges only that subscriber's notifications.
 */
export function ackRoute(services: Services, router: Router, apiKey: (ctx: Context, next: () => Promise<void>) => Promise<void>): void {
  router.post('/v1/notifications/:id/ack', async (ctx) => {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(ctx.get('authorization'))?.[1];
    if (bearer && !bearer.startsWith('ck_')) {
      let claims;
      try {
        claims = services.preferences.verifySubscriberToken(bearer);
      } catch {
        throw new ClarionError('CLARION_ERR_AUTH_INVALID', 'The token is not valid (changed, expired, or not a subscriber token)');
      }
      if (!(await services.preferences.ownsNotification(claims.t, claims.s, ctx.params.id))) throw new ClarionError('CLARION_ERR_NOTIFICATION_NOT_FOUND', `No notification ${ctx.params.id} for this subscriber`);
      const changed = await services.preferences.acknowledge(claims.t, ctx.params.id, `subscriber:${claims.s}`, 'subscriber token');
      ctx.body = { acknowledged: true, changed, notification: await services.views.get(claims.t, ctx.params.id) };
      return;
    }
    await apiKey(ctx, async () => {
      const { tenant, actor } = auth(ctx);
      const changed = await services.preferences.acknowledge(tenant.id, ctx.params.id, actor, 'api');
      ctx.body = { acknowledged: true, changed, notification: await services.views.get(tenant.id, ctx.params.id) };
    });
  });
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(ctx: Context, status: number, title: string, body: string) {
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Referrer-Policy', 'no-referrer');
  ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'");
  ctx.set('X-Robots-Tag', 'noindex');
  ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escape(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#111827}button{font-size:1rem;padding:.6rem 1.2rem;border-radius:.4rem;border:1px solid #111827;background:#111827;color:#fff;cursor:pointer}</style>
</head><body><h1>${escape(title)}</h1>${body}</body></html>`;
}

/** GET pages answer in HTML even when the link is bad: people, not programs, open them. */
async function asPage(ctx: Context, run: () => Promise<void>) {
  try {
    await run();
  } catch (err) {
    if (err instanceof ClarionError && (err.code === 'CLARION_ERR_LINK_INVALID' || err.code === 'CLARION_ERR_LINK_EXPIRED')) {
      page(ctx, err.status, err.code === 'CLARION_ERR_LINK_EXPIRED' ? 'Link expired' : 'Invalid link', `<p>${escape(err.message)}.</p>`);
      return;
    }
    throw err;
  }
}

/**
 * Signed links, served without a login (the signature is the credential): GET shows a small
 * confirmation page and changes nothing (mail scanners prefetch links); POST acts. Mail clients
 * POST `List-Unsubscribe=One-Click` to the unsubscribe link (RFC 8058).
 */
export function linkRoutes(services: Services, router: Router): void {
  router.get('/v1/links/unsubscribe/:token', async (ctx) => {
    await asPage(ctx, async () => {
      const { what } = await services.preferences.inspectUnsubscribe(ctx.params.token);
      page(ctx, 200, 'Unsubscribe', `<p>Stop receiving ${escape(what)}?</p><form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`);
    });
  });
  router.post('/v1/links/unsubscribe/:token', async (ctx) => {
    // The body (List-Unsubscribe=One-Click) carries nothing the signed token does not: read and drop it.
    await readBody(ctx, 4096);
    const { what } = await services.preferences.unsubscribe(ctx.params.token, 'one-click link');
    page(ctx, 200, 'Unsubscribed', `<p>You will no longer receive ${escape(what)}.</p>`);
  });
  router.get('/v1/links/ack/:token', async (ctx) => {
    await asPage(ctx, async () => {
      await services.preferences.inspectAck(ctx.params.token);
      page(ctx, 200, 'Acknowledge', '<p>Confirm that you have seen this notification: escalation to others stops.</p><form method="post"><button type="submit">Acknowledge</button></form>');
    });
  });
  router.post('/v1/links/ack/:token', async (ctx) => {
    await readBody(ctx, 4096);
    const { changed } = await services.preferences.ackByLink(ctx.params.token);
    page(ctx, 200, 'Acknowledged', changed ? '<p>Thank you: the notification is acknowledged.</p>' : '<p>This notification was already acknowledged.</p>');
  });
}

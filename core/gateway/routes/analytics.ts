import type Router from '@koa/router';
import type { Context } from 'koa';
import { PIXEL } from '../../analytics/tracking.ts';
import { ClarionError } from '../../errors.ts';
import type { Services } from '../../services.ts';
import { auth } from '../auth.ts';

/** What a tracking request tells of who made it (the socket's address: the gateway trusts no proxy header). */
function requestOf(ctx: Context) {
  return { method: ctx.method, userAgent: ctx.get('user-agent') || undefined, ip: ctx.request.ip || ctx.req.socket.remoteAddress };
}

/**
 * The open pixel and the click redirect of tracked emails: no API key, the signed token is the
 * credential. A token that does not verify is a 400 problem document, never a redirect.
 */
export function trackingRoutes(services: Services, router: Router): void {
  router.get('/v1/track/open/:token', async (ctx) => {
    await services.analytics.trackOpen(ctx.params.token, requestOf(ctx));
    ctx.status = 200;
    ctx.type = 'image/gif';
    ctx.set('Cache-Control', 'no-store, private, max-age=0');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.body = PIXEL;
  });
  // A push notification opened: its app or service worker POSTs the push's `clarion_open_url`
  // (a simple request from any origin: no preflight, and the answer carries nothing to hide).
  router.post('/v1/track/open/:token', async (ctx) => {
    await services.analytics.trackOpenCall(ctx.params.token, requestOf(ctx));
    ctx.set('Cache-Control', 'no-store, private, max-age=0');
    ctx.set('Access-Control-Allow-Origin', '*');
    ctx.status = 204;
  });
  router.get('/v1/track/click/:token', async (ctx) => {
    const target = await services.analytics.trackClick(ctx.params.token, requestOf(ctx));
    ctx.redirect(target);
    ctx.set('Cache-Control', 'no-store, private, max-age=0');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.body = '';
  });
}

/** `GET /v1/analytics`: figures from the rollups, as JSON or (`format=csv`, or `Accept: text/csv`) CSV. */
export function analyticsRoutes(services: Services, router: Router): void {
  router.get('/v1/analytics', async (ctx) => {
    const { tenant } = auth(ctx);
    const { format, ...query } = ctx.query;
    const csv = format === 'csv' || (format === undefined && ctx.accepts('application/json', 'text/csv') === 'text/csv');
    if (format !== undefined && format !== 'csv' && format !== 'json') {
      throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'Invalid analytics query', { errors: [{ pointer: '/query/format', message: 'must be json or csv' }] });
    }
    if (csv) {
      ctx.type = 'text/csv; charset=utf-8';
      ctx.set('Content-Disposition', 'attachment; filename="clarion-analytics.csv"');
      ctx.body = await services.analytics.queryCsv(tenant.id, query);
      return;
    }
    ctx.body = await services.analytics.query(tenant.id, query);
  });
}

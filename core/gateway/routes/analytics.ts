import type Router from '@koa/router';
import type { Context } from 'koa';
import { PIXEL } from '../../analytics/tracking.ts';
import type { Services } from '../../services.ts';

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
  router.get('/v1/track/click/:token', async (ctx) => {
    const target = await services.analytics.trackClick(ctx.params.token, requestOf(ctx));
    ctx.redirect(target);
    ctx.set('Cache-Control', 'no-store, private, max-age=0');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.body = '';
  });
}

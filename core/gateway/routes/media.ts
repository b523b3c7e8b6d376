import type Router from '@koa/router';
import type { Services } from '../../services.ts';

/** Types shown in place; any other is a download. */
const INLINE = new Set(['application/pdf', 'image/png', 'image/jpeg', 'image/gif', 'image/webp', 'text/plain', 'text/csv', 'text/calendar']);

/** `GET /v1/media/{token}`: an event's stored file, for the SMS/MMS or WhatsApp provider that fetches it (core/delivery/media.ts). No API key: the token is signed and expires. */
export function mediaRoutes(services: Services, router: Router): void {
  router.get('/v1/media/:token', async (ctx) => {
    const file = await services.delivery.mediaFile(ctx.params.token);
    ctx.status = 200;
    ctx.type = file.contentType;
    // A type a tenant allowed that a browser would run (HTML, SVG) is served as a download, sandboxed.
    ctx.set('Content-Disposition', `${INLINE.has(file.contentType) ? 'inline' : 'attachment'}; filename*=UTF-8''${encodeURIComponent(file.filename)}`);
    ctx.set('Cache-Control', 'private, max-age=300');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Content-Security-Policy', "default-src 'none'; sandbox");
    ctx.body = file.content;
  });
}

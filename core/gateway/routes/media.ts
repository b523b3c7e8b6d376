import type Router from '@koa/router';
import { mediaFile } from '../../delivery/media.ts';
import type { Services } from '../../services.ts';

/** `GET /v1/media/{token}`: an event's stored file, for the SMS/MMS or WhatsApp provider that fetches it (core/delivery/media.ts). No API key: the token is signed and expires. */
export function mediaRoutes(services: Services, router: Router): void {
  router.get('/v1/media/:token', async (ctx) => {
    const file = await mediaFile(services.knex, services.config.secretKey, ctx.params.token, services.clock.now());
    ctx.status = 200;
    ctx.type = file.contentType;
    ctx.set('Content-Disposition', `inline; filename*=UTF-8''${encodeURIComponent(file.filename)}`);
    ctx.set('Cache-Control', 'private, max-age=300');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Content-Security-Policy', "default-src 'none'; sandbox");
    ctx.body = file.content;
  });
}

import type Router from '@koa/router';
import type { Context } from 'koa';
import { ClarionError } from '../../errors.ts';
import { parseMediaType } from '../../ingest/cloudevents.ts';
import type { Services } from '../../services.ts';
import { readBody } from '../http.ts';

/**
 * Provider callbacks (delivery receipts, inbound messages, voice keypresses, Meta's GET
 * verification). No API key: the adapter checks the provider's signature before anything is used.
 */
export function callbackRoutes(services: Services, router: Router): void {
  const handle = async (ctx: Context) => {
    const rawBody = ctx.method === 'GET' ? Buffer.alloc(0) : await readBody(ctx, services.config.maxBodyBytes);
    const media = parseMediaType(ctx.get('content-type'));
    let body: unknown = undefined;
    if (rawBody.length > 0) {
      if (media?.essence === 'application/x-www-form-urlencoded') body = Object.fromEntries(new URLSearchParams(rawBody.toString('utf8')));
      else if (media && (media.essence === 'application/json' || media.essence.endsWith('+json'))) {
        try {
          body = JSON.parse(rawBody.toString('utf8'));
        } catch {
          throw new ClarionError('CLARION_ERR_HTTP_MALFORMED_JSON', 'The callback body is not valid JSON');
        }
      } else body = rawBody.toString('utf8');
    }
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(ctx.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const response = await services.delivery.handleCallback(ctx.params.adapter, ctx.params.providerId, {
      method: ctx.method,
      url: `${services.config.publicUrl}${ctx.originalUrl}`,
      headers,
      query: Object.fromEntries(Object.entries(ctx.query).map(([k, v]) => [k, Array.isArray(v) ? v[0] : (v ?? '')])) as Record<string, string>,
      rawBody,
      body,
    });
    ctx.status = response?.status ?? 200;
    if (response?.body !== undefined) {
      ctx.type = response.contentType ?? 'text/plain';
      ctx.body = response.body;
    } else ctx.body = '';
  };
  router.post('/v1/providers/:adapter/callbacks/:providerId', handle);
  router.get('/v1/providers/:adapter/callbacks/:providerId', handle);
}

import { randomUUID } from 'node:crypto';
import Router from '@koa/router';
import Koa from 'koa';
import { ClarionError } from '../errors.ts';
import type { Services } from '../services.ts';
import { requireApiKey } from './auth.ts';
import { guardPathParams, problemMiddleware, queryGuard } from './http.ts';
import { contextOf, within } from '../tracing.ts';
import { callbackRoutes } from './routes/callbacks.ts';
import { contractRoutes } from './routes/contracts.ts';
import { deliveryRoutes } from './routes/delivery.ts';
import { eventRoutes } from './routes/events.ts';
import { opsRoutes } from './routes/ops.ts';
import { ackRoute, linkRoutes, preferenceRoutes } from './routes/preferences.ts';
import { tenantRoutes } from './routes/tenant.ts';
import { templateRoutes } from './routes/templates.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { apiKeyRoutes } from './routes/api-keys.ts';
import { inboxAdminRoutes, inboxRoutes } from './routes/inbox.ts';
import { adminConsole } from '../../admin/index.ts';
import { scheduleRoutes } from './routes/schedules.ts';
import { topicRoutes } from './routes/topics.ts';
import { analyticsRoutes, trackingRoutes } from './routes/analytics.ts';
import { mediaRoutes } from './routes/media.ts';
import { inboxCors, widgetRoutes } from './routes/widget.ts';

export interface Gateway {
  app: Koa;
  /** Every router, so tests can compare the routes with the OpenAPI document. */
  routers: Router[];
  /** Ends the long-lived responses (the console's live streams) before the server closes. */
  close(): void;
}

export function createGateway(services: Services): Gateway {
  const app = new Koa();
  app.proxy = false;
  app.silent = true;

  app.use(async (ctx, next) => {
    const supplied = ctx.get('x-request-id');
    ctx.state.reqId = /^[A-Za-z0-9._-]{1,100}$/.test(supplied) ? supplied : randomUUID();
    ctx.state.log = services.log.child({ reqId: ctx.state.reqId });
    ctx.set('X-Request-Id', ctx.state.reqId);
    const started = performance.now();
    try {
      // A caller's W3C trace context continues here (nothing when tracing is off).
      await within(contextOf(ctx.get('traceparent'), ctx.get('tracestate')), next);
    } finally {
      ctx.state.log[ctx.status === 503 ? 'warn' : ctx.status >= 500 ? 'error' : 'debug'](
        { method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(performance.now() - started) },
        'request',
      );
    }
  });
  // Subscribers' pages of other origins call the inbox (bearer tokens, no cookies).
  app.use(inboxCors);
  app.use(problemMiddleware(services.log));
  app.use(queryGuard);
  // The admin console (admin/): its own pages, sessions and errors under /admin.
  const admin = adminConsole(services);
  app.use(admin.middleware);

  const open = new Router();
  opsRoutes(services, open);
  callbackRoutes(services, open);
  linkRoutes(services, open);
  trackingRoutes(services, open);
  mediaRoutes(services, open);
  // API key or the subscriber's own token: the route authenticates itself.
  ackRoute(services, open, requireApiKey(services.apiKeys));
  // The subscriber's own inbox: each route checks the subscriber's token itself.
  inboxRoutes(services, open);
  // The `<clarion-inbox>` web component and its demo page.
  widgetRoutes(open);

  const api = new Router();
  const authenticate = requireApiKey(services.apiKeys);
  api.use(async (ctx, next) => {
    // The CloudEvents abuse-protection handshake comes before any credentials are shared.
    if (ctx.method === 'OPTIONS' && ctx.path === '/v1/events') return next();
    return authenticate(ctx, next);
  });
  eventRoutes(services, api);
  contractRoutes(services, api);
  tenantRoutes(services, api);
  apiKeyRoutes(services, api);
  deliveryRoutes(services, api);
  webhookRoutes(services, api);
  templateRoutes(services, api);
  preferenceRoutes(services, api);
  inboxAdminRoutes(services, api);
  topicRoutes(services, api);
  scheduleRoutes(services, api);
  analyticsRoutes(services, api);

  const routers = [open, api];
  for (const router of routers) {
    guardPathParams(router);
    app.use(router.routes());
    app.use(
      router.allowedMethods({
        throw: true,
        methodNotAllowed: () => new ClarionError('CLARION_ERR_HTTP_METHOD_NOT_ALLOWED', 'This route does not accept that method'),
        notImplemented: () => new ClarionError('CLARION_ERR_HTTP_METHOD_NOT_ALLOWED', 'This method is not implemented'),
      }),
    );
  }
  return { app, routers, close: admin.close };
}

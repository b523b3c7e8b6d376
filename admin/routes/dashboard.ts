import { PassThrough } from 'node:stream';
import type { Context } from 'koa';
import { RANGES } from '../../core/monitoring/service.ts';
import type { AdminDeps, AdminRouter } from '../app.ts';
import { NOTIFICATION_STATUSES } from '../../core/notifications/status.ts';

const EVENT_STATUSES = ['received', 'processing', 'processed', 'failed'];

const rangeOf = (ctx: Context) => (typeof ctx.query.range === 'string' && Object.hasOwn(RANGES, ctx.query.range) ? ctx.query.range : '1h');

/**
 * The dashboard: events, notifications and deliveries over time, failure rate and latency per
 * provider, circuit states, the work waiting and dead letters; drawn with uPlot and kept live by
 * server-sent events (a new snapshot whenever the figures change, looked at every
 * CLARION_ADMIN_LIVE_MS).
 */
export function dashboardRoutes(routes: AdminRouter, deps: AdminDeps): void {
  const { services } = deps;
  // Open live streams, ended when the gateway stops.
  const streams = new Set<PassThrough>();
  deps.onClose(() => {
    for (const stream of streams) stream.end();
    streams.clear();
  });

  routes.get('/admin', async (ctx, state) => {
    const snapshot = await services.monitoring.snapshot(state.tenant!.id, rangeOf(ctx));
    // The charts' series are statuses (live updates may bring new ones): their names in the page's language.
    const labels = Object.fromEntries([...EVENT_STATUSES, ...NOTIFICATION_STATUSES].map((k) => [k, state.t(k)]));
    deps.render(ctx, 'dashboard.njk', { snapshot, snapshotJson: JSON.stringify(snapshot).replace(/</g, '\\u003c'), labelsJson: JSON.stringify(labels).replace(/</g, '\\u003c'), ranges: Object.keys(RANGES) });
  });

  routes.get('/admin/dashboard/stream', async (ctx, state) => {
    const tenantId = state.tenant!.id;
    const range = rangeOf(ctx);
    const stream = new PassThrough();
    streams.add(stream);
    ctx.req.socket.setTimeout(0);
    ctx.set('Cache-Control', 'no-store');
    ctx.set('X-Accel-Buffering', 'no');
    ctx.type = 'text/event-stream';
    ctx.status = 200;
    ctx.body = stream;
    let last = '';
    let busy = false;
    const tick = async () => {
      if (busy) return;
      busy = true;
      try {
        const snapshot = await services.monitoring.snapshot(tenantId, range);
        const { generatedAt: _, ...figures } = snapshot;
        const key = JSON.stringify(figures);
        if (key !== last) {
          last = key;
          stream.write(`event: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`);
        } else {
          stream.write(': still\n\n');
        }
      } catch (err) {
        (ctx.state.log ?? services.log).warn({ err }, 'dashboard stream failed');
        stream.end();
      } finally {
        busy = false;
      }
    };
    stream.write(`retry: ${Math.max(1000, services.config.adminLiveMs)}\n\n`);
    void tick();
    const timer = setInterval(() => void tick(), services.config.adminLiveMs);
    const stop = () => {
      clearInterval(timer);
      streams.delete(stream);
      stream.end();
    };
    ctx.req.once('close', stop);
    stream.once('close', stop);
  });
}

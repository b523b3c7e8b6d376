import { ClarionError } from '../errors.ts';
import type { AnalyticsContext } from './context.ts';
import { recordInteraction } from './interactions.ts';
import { verifyTracking } from './links.ts';
import { isPrefetchedClick, isPrefetchedOpen, truncateIp, userAgent } from './privacy.ts';

/**
 * The open pixel and the click redirect of tracked emails (`GET /v1/track/open|click/{token}`).
 * A token that does not verify is refused (400) and nothing is redirected; a genuine one is
 * answered whatever became of its delivery (deleted by retention, its subscriber erased): the
 * pixel, the redirect to the signed target. What the request tells of the person is recorded only
 * while there is a delivery and a subscriber to record it for.
 */

export interface TrackedRequest {
  method: string;
  userAgent?: string;
  ip?: string;
}

/** A transparent 1x1 GIF. */
export const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

function secret(ctx: AnalyticsContext): Buffer {
  const key = ctx.config.secretKey;
  if (!key) throw new ClarionError('CLARION_ERR_CONFIG_INVALID', 'CLARION_SECRET_KEY is not available to this process: tracking links cannot be checked');
  return key;
}

export async function trackOpen(ctx: AnalyticsContext, token: string, request: TrackedRequest): Promise<void> {
  const claims = verifyTracking(secret(ctx), 'open', token);
  const agent = userAgent(request.userAgent);
  await recordInteraction(ctx.knex, ctx.webhooks(), { deliveryId: claims.d }, {
    kind: 'open', source: 'pixel', userAgent: agent, ip: truncateIp(request.ip), prefetch: isPrefetchedOpen({ userAgent: agent, ip: request.ip }), at: ctx.clock.now(),
  }).catch((err) => {
    // The person sees an image either way; a failed write is the operator's to see.
    ctx.log.error({ err, deliveryId: claims.d }, 'open could not be recorded');
  });
}

/**
 * `POST /v1/track/open/{token}`: an app or service worker saying its push notification was opened
 * (the token is the push's `clarion_open_url`). A deliberate call, never a machine's preload:
 * always a genuine open.
 */
export async function trackOpenCall(ctx: AnalyticsContext, token: string, request: TrackedRequest): Promise<void> {
  const claims = verifyTracking(secret(ctx), 'open', token);
  await recordInteraction(ctx.knex, ctx.webhooks(), { deliveryId: claims.d }, {
    kind: 'open', source: 'api', userAgent: userAgent(request.userAgent), ip: truncateIp(request.ip), prefetch: false, at: ctx.clock.now(),
  });
}

/** Records the click; returns where to redirect (the signed target). */
export async function trackClick(ctx: AnalyticsContext, token: string, request: TrackedRequest): Promise<string> {
  const claims = verifyTracking(secret(ctx), 'click', token);
  const agent = userAgent(request.userAgent);
  await recordInteraction(ctx.knex, ctx.webhooks(), { deliveryId: claims.d }, {
    kind: 'click', source: 'redirect', link: claims.u, userAgent: agent, ip: truncateIp(request.ip), prefetch: isPrefetchedClick({ method: request.method, userAgent: agent }), at: ctx.clock.now(),
  }).catch((err) => {
    ctx.log.error({ err, deliveryId: claims.d }, 'click could not be recorded');
  });
  return claims.u;
}

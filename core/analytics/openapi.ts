import { analyticsAnswerSchema, analyticsQuerySchema, figuresSchema } from './queries.ts';

/** The engagement and analytics routes and schemas of the OpenAPI document (spread into core/gateway/openapi.ts). */

const problem = { $ref: '#/components/responses/Problem' };
const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), problem]));
const token = { name: 'token', in: 'path', required: true, description: 'The signed token Clarion put in the email', schema: { type: 'string' } };
const noStore = { 'Cache-Control': { schema: { type: 'string' }, description: '`no-store, private, max-age=0`' } };

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
/** The OpenAPI query parameters of an object schema's properties (none required), each with its property's description. */
function queryParameters(schema: { properties: Record<string, object> }) {
  return Object.entries(schema.properties).map(([name, property]) => {
    const { description, ...rest } = property as { description?: string };
    return { name, in: 'query', required: false, description, schema: rest };
  });
}

export const analyticsPaths = {
  '/v1/analytics': {
    get: {
      tags: ['analytics'],
      summary: 'Delivery, engagement and cost figures per bucket and group, from rollups',
      description:
        'Counted by when each delivery (notification-level figures: notification) was created, in UTC minutes, hours or days; a later open or receipt counts for the bucket its message went out in. ' +
        '`from` is rounded down and `to` up to whole buckets (default: the last 60 minutes, 48 hours or 30 days). Answered from rollup tables kept as deliveries change, plus the changes of the last minute not yet folded into them: current to the last committed change. ' +
        'Notification-level figures (`notifications`, `suppressed`) belong to no channel, provider, variant or locale, and `deliveries` (created) to no provider, variant or locale: grouped by those, they appear in the group where they are null (compare `sent`). ' +
        'Latency percentiles come from histograms with buckets 19 % apart (within that of the exact figure). Empty buckets are left out; `totals` sums each group over the range. ' +
        '`format=csv` (or `Accept: text/csv`) answers the items as CSV.',
      parameters: queryParameters(analyticsQuerySchema),
      responses: {
        '200': {
          description: 'The figures',
          content: { 'application/json': { schema: ref('AnalyticsAnswer') }, 'text/csv': { schema: { type: 'string' } } },
        },
        ...errors(400, 401),
      },
    },
  },
  '/v1/track/open/{token}': {
    get: {
      tags: ['analytics'],
      summary: 'Open tracking pixel of an email (a 1x1 transparent GIF)',
      description:
        'Records an `open` interaction for the delivery the token names (once a genuine open, the delivery and notification get `openedAt`) and announces it as `io.clarion.interaction.open`. ' +
        'Fetches that look like a machine preloading images (Apple Mail Privacy Protection: the bare user agent `Mozilla/5.0`, Apple\'s 17.0.0.0/8, no user agent) are recorded with `prefetch: true` and not counted as opens. ' +
        'The address is kept truncated to its /24 (IPv4) or /48 (IPv6). No API key: the token is signed.',
      security: [],
      parameters: [token],
      responses: { '200': { description: 'The pixel', headers: noStore, content: { 'image/gif': { schema: { type: 'string', format: 'binary' } } } }, ...errors(400) },
    },
    post: {
      tags: ['analytics'],
      summary: 'A push notification was opened (called by the app or service worker)',
      description:
        'Push messages of workflows that track opens carry this URL in their data as `clarion_open_url`; the app (on opening the notification) or the web service worker (`notificationclick`) POSTs it, with no body. ' +
        'Records an `open` interaction (`source: api`, never a prefetch), sets the delivery\'s and notification\'s first `openedAt`, and announces `io.clarion.interaction.open`. ' +
        'No API key: the token is signed; a changed token is refused with 400. Any origin may call it (a simple request, no preflight).',
      security: [],
      parameters: [token],
      responses: { '204': { description: 'Recorded (or nothing left to record it on: the delivery deleted, its subscriber erased)', headers: noStore }, ...errors(400) },
    },
  },
  '/v1/track/click/{token}': {
    get: {
      tags: ['analytics'],
      summary: 'Click redirect of a tracked email link',
      description:
        'Records a `click` interaction (and the first click as `clickedAt`), announces it as `io.clarion.interaction.click`, and redirects to the target the token signs. ' +
        'A token that was changed in any way is refused with 400 and redirects nowhere: the redirect cannot lead anywhere Clarion did not put the link itself. HEAD requests (link scanners) are recorded as `prefetch`.',
      security: [],
      parameters: [token],
      responses: { '302': { description: 'To the signed target', headers: { Location: { schema: { type: 'string', format: 'uri' } }, ...noStore } }, ...errors(400) },
    },
  },
};

export const analyticsSchemas = {
  AnalyticsFigures: figuresSchema,
  AnalyticsAnswer: analyticsAnswerSchema,
};

/** The engagement and analytics routes and schemas of the OpenAPI document (spread into core/gateway/openapi.ts). */

const problem = { $ref: '#/components/responses/Problem' };
const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [String(s), problem]));
const token = { name: 'token', in: 'path', required: true, description: 'The signed token Clarion put in the email', schema: { type: 'string' } };
const noStore = { 'Cache-Control': { schema: { type: 'string' }, description: '`no-store, private, max-age=0`' } };

export const analyticsPaths = {
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

export const analyticsSchemas = {};

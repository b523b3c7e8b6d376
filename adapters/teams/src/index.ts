import { ConfigError, PermanentError, TransientError, classifyHttp, defineAdapter, excerpt, fetchOrClassify, parseRetryAfter } from '@clarion/adapter-kit';
import type { DeliveryError, OutboundMessage, SendResult } from '@clarion/adapter-kit';

export interface TeamsConfig {
  /**
   * Where cards are posted: the HTTP POST URL of a Teams *Workflows* flow ("When a Teams webhook
   * request is received", `https://….logic.azure.com/workflows/…` or `….powerplatform.com/…`) or a
   * legacy incoming webhook (`https://….webhook.office.com/webhookb2/…`). Its `sig` makes it a secret.
   * Optional when every subscriber brings their own URL (`to.chat.teams.webhookUrl`).
   */
  webhookUrl?: string;
  /** Adaptive Card schema version of the generated cards. Default: 1.4 (what Teams renders everywhere). */
  cardVersion?: string;
  /** Render the card across the whole message width. Default: true. */
  fullWidth?: boolean;
}

const configSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    webhookUrl: { type: 'string', pattern: '^https://', writeOnly: true, 'x-outbound': 'url', description: 'Workflows (Power Automate) or incoming webhook URL.' },
    cardVersion: { type: 'string', pattern: '^1\\.[0-9]$', default: '1.4' },
    fullWidth: { type: 'boolean', default: true },
  },
};

/** Hosts Microsoft issues Teams webhook URLs on: a subscriber's own URL must be on one of them (no SSRF). */
const TEAMS_HOSTS = [/\.webhook\.office\.com$/, /\.logic\.azure\.com$/, /\.powerplatform\.com$/, /\.powerautomate\.com$/, /^outlook\.office(365)?\.com$/];

export function isTeamsWebhookUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && TEAMS_HOSTS.some((host) => host.test(url.hostname));
  } catch {
    return false;
  }
}

/** The Adaptive Card: the rendered blocks when the template produced a card (or its body), else one made of title, text and links. */
export function buildCard(message: OutboundMessage, config: TeamsConfig): Record<string, unknown> {
  const { content } = message;
  const blocks = content.blocks as Record<string, unknown> | unknown[] | undefined;
  const msteams = config.fullWidth === false ? {} : { msteams: { width: 'Full' } };
  if (blocks && !Array.isArray(blocks) && blocks.type === 'AdaptiveCard') return { ...msteams, ...blocks };
  const base = { $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: config.cardVersion ?? '1.4', ...msteams };
  if (Array.isArray(blocks)) return { ...base, body: blocks };
  const title = content.title ?? content.subject;
  const text = content.text ?? content.body;
  if (!title && !text) throw new PermanentError('the rendered Teams message has no title, text or card', { code: 'EMPTY_MESSAGE', scope: 'recipient' });
  const actions = [
    ...(content.actions ?? []).filter((a) => a.url?.startsWith('https://')).map((a) => ({ type: 'Action.OpenUrl', title: a.label, url: a.url })),
    ...(content.url?.startsWith('https://') && !(content.actions ?? []).some((a) => a.url === content.url) ? [{ type: 'Action.OpenUrl', title: 'Open', url: content.url }] : []),
  ];
  return {
    ...base,
    body: [
      ...(title ? [{ type: 'TextBlock', text: title, weight: 'Bolder', size: 'Medium', wrap: true }] : []),
      ...(text ? [{ type: 'TextBlock', text, wrap: true }] : []),
    ],
    ...(actions.length > 0 ? { actions } : {}),
  };
}

export function buildPayload(message: OutboundMessage, config: TeamsConfig): Record<string, unknown> {
  return {
    type: 'message',
    attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: buildCard(message, config) }],
  };
}

/**
 * Legacy connectors answer HTTP 200 even when Teams refused the message, with the real status in
 * the text ("Microsoft Teams endpoint returned HTTP error 429 …"); "1" means posted.
 */
const EMBEDDED_STATUS = /returned HTTP error (\d{3})/i;

/**
 * A refusal is about the recipient when it comes from a subscriber's own URL (their flow or
 * connector is gone or takes nothing from us), about the provider when from the configured one.
 */
function classify(status: number, body: string, retryAfter: string | null, ownedBySubscriber: boolean): DeliveryError {
  const message = `Teams answered HTTP ${status}: ${excerpt(body, 200) || 'no body'}`;
  const code = (/"code"\s*:\s*"([^"]+)"/.exec(body)?.[1]) ?? String(status);
  const common = { status, code, response: excerpt(body) };
  if (status === 429) return new TransientError(message, { ...common, retryAfterMs: parseRetryAfter(retryAfter) });
  if (status === 404 || status === 410) {
    // The flow or connector was deleted: an admin must give a new URL (or the subscriber must).
    return ownedBySubscriber ? new PermanentError(message, { ...common, scope: 'recipient' }) : new ConfigError(message, common);
  }
  // A subscriber's URL whose signature is refused is their broken address, not our credentials.
  if ((status === 401 || status === 403) && ownedBySubscriber) return new PermanentError(message, { ...common, scope: 'recipient' });
  return classifyHttp(status, { body, code, retryAfter, message, scope: ownedBySubscriber ? 'recipient' : 'provider' });
}

export default defineAdapter<TeamsConfig>({
  name: 'teams',
  channel: 'chat',
  description: 'Microsoft Teams channel messages as Adaptive Cards, through a Workflows (Power Automate) or incoming webhook URL.',
  configSchema,
  create(config, { fetch }) {
    return {
      async send(message, { signal }): Promise<SendResult> {
        if (signal.aborted) throw new TransientError('Teams send aborted before it started', { code: 'ABORTED', cause: signal.reason });
        const own = message.to.chat?.teams?.webhookUrl;
        if (own !== undefined && !isTeamsWebhookUrl(own)) {
          throw new PermanentError('the subscriber\'s Teams webhook URL is not an https URL on a Microsoft webhook host', { code: 'INVALID_ADDRESS', scope: 'recipient' });
        }
        const url = own ?? config.webhookUrl;
        // No address this provider can use: another chat provider (Slack, another Teams URL) may have one.
        if (!url) throw new PermanentError('the subscriber has no Teams webhook URL and none is configured', { code: 'NO_ADDRESS', scope: 'provider' });

        const res = await fetchOrClassify(fetch, url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(buildPayload(message, config)),
          signal,
        });
        const body = await res.text().catch(() => '');
        if (res.status >= 200 && res.status < 300) {
          const embedded = EMBEDDED_STATUS.exec(body);
          if (embedded) throw classify(Number(embedded[1]), body, res.headers.get('retry-after'), own !== undefined);
          if (res.status === 200 && body.trim() !== '' && body.trim() !== '1') {
            // A connector that answers 200 with anything but "1" refused the card (e.g. "Summary or Text is required.").
            throw new PermanentError(`Teams refused the message: ${excerpt(body, 200)}`, { status: 200, code: 'REFUSED', response: excerpt(body), scope: own !== undefined ? 'recipient' : 'provider' });
          }
          // Workflows answer 202 and name the flow run; connectors return no id.
          const runId = res.headers.get('x-ms-workflow-run-id');
          return { providerMessageId: runId ?? message.deliveryId, status: 'sent', ...(runId ? { details: { workflowRunId: runId } } : {}) };
        }
        throw classify(res.status, body, res.headers.get('retry-after'), own !== undefined);
      },
    };
  },
});

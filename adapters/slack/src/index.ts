import { ConfigError, PermanentError, TransientError, classifyHttp, defineAdapter, excerpt, fetchOrClassify, parseRetryAfter } from '@clarion/adapter-kit';
import type { DeliveryError, OutboundMessage, SendResult } from '@clarion/adapter-kit';

export interface SlackConfig {
  /** Incoming webhook URL (`https://hooks.slack.com/services/...`): posts to the channel chosen when it was created. Secret. */
  webhookUrl?: string;
  /** Bot token (`xoxb-...`) of a Slack app with the `chat:write` scope, for `chat.postMessage`. Secret. */
  botToken?: string;
  /** Bot mode: the channel (id like `C0123456789` or `#name`) used when the subscriber has no Slack address. Default: none (such a subscriber fails permanently). */
  defaultChannel?: string;
  /** Display name override (bot mode needs the `chat:write.customize` scope). Default: the app's name. */
  username?: string;
  /** Icon override, e.g. `:bell:` (bot mode needs `chat:write.customize`). Default: the app's icon. */
  iconEmoji?: string;
  /** Unfurl links in the text. Default: false (a notification's links are not news). */
  unfurlLinks?: boolean;
  /** Slack Web API base URL. Default: `https://slack.com/api` (GovSlack: `https://slack-gov.com/api`). */
  apiBaseUrl?: string;
}

const configSchema = {
  type: 'object',
  additionalProperties: false,
  oneOf: [{ required: ['webhookUrl'] }, { required: ['botToken'] }],
  properties: {
    webhookUrl: { type: 'string', pattern: '^https://hooks\\.slack(-gov)?\\.com/', writeOnly: true, 'x-outbound': 'url', description: 'Incoming webhook URL (https://hooks.slack.com/services/...).' },
    botToken: { type: 'string', pattern: '^xox[bp]-[A-Za-z0-9-]+$', writeOnly: true, description: 'Bot token (xoxb-...) with the chat:write scope.' },
    defaultChannel: { type: 'string', minLength: 1, description: 'Bot mode: channel used when the subscriber has no Slack address.' },
    username: { type: 'string', minLength: 1, maxLength: 80 },
    iconEmoji: { type: 'string', pattern: '^:[a-z0-9_+-]+:$' },
    unfurlLinks: { type: 'boolean', default: false },
    apiBaseUrl: { type: 'string', pattern: '^https://', default: 'https://slack.com/api', 'x-outbound': 'url', description: 'Web API base URL (Slack GovSlack or a proxy); reached through the operator\'s outbound policy.' },
  },
};

/** chat.postMessage `error` values (https://api.slack.com/methods/chat.postMessage#errors), by class. */
const BOT_TRANSIENT = new Set(['ratelimited', 'rate_limited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'team_added_to_org', 'org_login_required']);
const BOT_CONFIG = new Set([
  'not_authed', 'invalid_auth', 'account_inactive', 'token_revoked', 'token_expired', 'no_permission', 'missing_scope',
  'not_allowed_token_type', 'ekm_access_denied', 'access_denied', 'accesslimited', 'team_access_not_granted',
  'enterprise_is_restricted', 'method_deprecated', 'deprecated_endpoint', 'two_factor_setup_required',
]);
/**
 * Errors about where the message goes: the subscriber's channel is gone or takes no posts (about
 * the recipient), or the configured default channel is (an admin must fix `defaultChannel`).
 */
const BOT_DESTINATION = new Set([
  'channel_not_found', 'is_archived', 'restricted_action_read_only_channel', 'restricted_action_thread_only_channel',
  'restricted_action_non_threadable_channel',
]);
// not_in_channel (this app was never invited) is this provider's reach: config for the default
// channel, provider for a subscriber's. no_text is what the template rendered: the recipient's.
// Everything else (msg_too_long, too_many_attachments, invalid_blocks, restricted_action,
// invalid_arguments...) is Slack refusing this message: permanent, about the provider.

/** Incoming webhook error strings (https://api.slack.com/changelog/2016-05-17-changes-to-errors-for-incoming-webhooks). */
const HOOK_GONE = new Set(['no_service', 'no_team', 'team_disabled', 'invalid_token', 'channel_not_found', 'channel_is_archived']);
const HOOK_FORBIDDEN = new Set(['action_prohibited', 'posting_to_general_channel_denied']);

function isArray(value: unknown): value is unknown[] {
  return Array.isArray(value);
}

/** The mrkdwn text of the message: also the notification fallback when blocks are given. */
function textOf(message: OutboundMessage): string {
  const { content } = message;
  const text = content.text ?? content.body;
  if (text && content.title && !content.blocks) return `*${content.title}*\n${text}`;
  return text ?? content.title ?? content.subject ?? '';
}

export function buildPayload(message: OutboundMessage, config: SlackConfig): Record<string, unknown> {
  const text = textOf(message);
  if (!text && !isArray(message.content.blocks)) throw new PermanentError('the rendered Slack message has no text and no blocks', { code: 'no_text', scope: 'recipient' });
  return {
    text,
    mrkdwn: true,
    ...(isArray(message.content.blocks) ? { blocks: message.content.blocks } : {}),
    unfurl_links: config.unfurlLinks ?? false,
    unfurl_media: config.unfurlLinks ?? false,
    ...(config.username ? { username: config.username } : {}),
    ...(config.iconEmoji ? { icon_emoji: config.iconEmoji } : {}),
  };
}

/**
 * An incoming webhook's failure. A webhook that is gone (revoked, channel deleted) is a config
 * error when it is the provider's own URL, and a permanent one about the recipient when it is a
 * subscriber's. Any other refusal of a subscriber's webhook is theirs too; of the configured one,
 * this provider's.
 */
function classifyHook(status: number, body: string, retryAfter: string | null, ownedBySubscriber: boolean): DeliveryError {
  const code = body.trim().split(/\s/)[0] || String(status);
  const message = `Slack webhook answered HTTP ${status} ${code}`;
  const common = { status, code, response: excerpt(body) };
  if (status === 429) return new TransientError(message, { ...common, retryAfterMs: parseRetryAfter(retryAfter) });
  if (status >= 500) return new TransientError(message, common);
  if (HOOK_GONE.has(code) || HOOK_FORBIDDEN.has(code) || status === 401 || status === 403 || status === 404 || status === 410) {
    return ownedBySubscriber ? new PermanentError(message, { ...common, scope: 'recipient' }) : new ConfigError(message, common);
  }
  return classifyHttp(status, { body, code, retryAfter, message, scope: ownedBySubscriber || code === 'no_text' ? 'recipient' : 'provider' });
}

/** A chat.postMessage failure, posting to a subscriber's channel or user, or to the configured default channel. */
function classifyBot(error: string, status: number, body: string, retryAfter: string | null, toDefaultChannel: boolean): DeliveryError {
  const message = `Slack chat.postMessage failed: ${error}`;
  const common = { status, code: error, response: excerpt(body) };
  if (BOT_TRANSIENT.has(error) || status === 429 || status >= 500) return new TransientError(message, { ...common, retryAfterMs: parseRetryAfter(retryAfter) });
  if (BOT_CONFIG.has(error)) return new ConfigError(message, common);
  if (BOT_DESTINATION.has(error)) return toDefaultChannel ? new ConfigError(`${message} (the configured default channel)`, common) : new PermanentError(message, { ...common, scope: 'recipient' });
  if (error === 'not_in_channel') return toDefaultChannel ? new ConfigError(`${message} (invite the app to the default channel)`, common) : new PermanentError(message, { ...common, scope: 'provider' });
  return new PermanentError(message, { ...common, scope: error === 'no_text' ? 'recipient' : 'provider' });
}

export default defineAdapter<SlackConfig>({
  name: 'slack',
  channel: 'chat',
  description: 'Slack messages (mrkdwn, Block Kit) through an incoming webhook or a bot token with chat.postMessage.',
  configSchema,
  create(config, { fetch, log }) {
    if (!config.webhookUrl === !config.botToken) throw new ConfigError('configure exactly one of webhookUrl and botToken', { code: 'INVALID_CONFIG' });
    const api = (config.apiBaseUrl ?? 'https://slack.com/api').replace(/\/+$/, '');

    async function viaWebhook(message: OutboundMessage, url: string, ownedBySubscriber: boolean, signal: AbortSignal): Promise<SendResult> {
      const res = await fetchOrClassify(fetch, url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(buildPayload(message, config)),
        signal,
      });
      const body = await res.text().catch(() => '');
      if (res.status === 200 && body.trim() === 'ok') {
        // Incoming webhooks return no message id; the delivery id is what receipts would match.
        return { providerMessageId: message.deliveryId, status: 'sent', response: body };
      }
      throw classifyHook(res.status, body, res.headers.get('retry-after'), ownedBySubscriber);
    }

    async function callApi(method: string, payload: Record<string, unknown>, signal: AbortSignal, toDefaultChannel = false): Promise<Record<string, unknown>> {
      const res = await fetchOrClassify(fetch, `${api}/${method}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${config.botToken}`, 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(payload),
        signal,
      });
      const body = await res.text().catch(() => '');
      let json: Record<string, unknown> | undefined;
      try {
        json = JSON.parse(body) as Record<string, unknown>;
      } catch {
        json = undefined;
      }
      if (res.status === 200 && json?.ok === true) return json;
      if (typeof json?.error === 'string') throw classifyBot(json.error, res.status, body, res.headers.get('retry-after'), toDefaultChannel);
      throw classifyHttp(res.status, { body, retryAfter: res.headers.get('retry-after'), message: `Slack ${method} answered HTTP ${res.status}` });
    }

    const sender = {
      async send(message: OutboundMessage, { signal }: { signal: AbortSignal }): Promise<SendResult> {
        if (signal.aborted) throw new TransientError('Slack send aborted before it started', { code: 'ABORTED', cause: signal.reason });
        const address = message.to.chat?.slack ?? {};
        if (config.webhookUrl) {
          // A subscriber may bring an incoming webhook of their own (only Slack's hosts: no SSRF).
          const own = address.webhookUrl;
          if (own !== undefined && !/^https:\/\/hooks\.slack(-gov)?\.com\//.test(own)) {
            throw new PermanentError('the subscriber\'s Slack webhook URL is not a hooks.slack.com URL', { code: 'INVALID_ADDRESS', scope: 'recipient' });
          }
          return viaWebhook(message, own ?? config.webhookUrl, own !== undefined, signal);
        }
        const own = address.channel ?? address.userId;
        const channel = own ?? config.defaultChannel;
        // No address this provider can use: another chat provider (a Teams URL, a Slack workspace with a default channel) may have one.
        if (!channel) throw new PermanentError('the subscriber has no Slack channel or user id and no default channel is configured', { code: 'NO_ADDRESS', scope: 'provider' });
        const json = await callApi('chat.postMessage', {
          channel,
          ...buildPayload(message, config),
          metadata: { event_type: 'clarion_notification', event_payload: { notification_id: message.notificationId, delivery_id: message.deliveryId } },
        }, signal, own === undefined);
        if (Array.isArray((json.response_metadata as { warnings?: unknown })?.warnings)) log.warn({ warnings: (json.response_metadata as { warnings: unknown }).warnings }, 'slack warnings');
        return {
          providerMessageId: `${String(json.channel)}:${String(json.ts)}`,
          status: 'sent',
          details: { channel: json.channel, ts: json.ts },
        };
      },
    };
    if (!config.botToken) return sender;
    return {
      ...sender,
      /** auth.test: proves the token is live and says which workspace and bot it belongs to. */
      async verify() {
        await callApi('auth.test', {}, AbortSignal.timeout(10_000));
      },
    };
  },
});

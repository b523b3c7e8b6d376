import type { OutboundAccess } from './outbound.ts';

/**
 * The adapter contract. A channel adapter is a package whose default export is
 * `defineAdapter({...})`: it describes itself (name, channel, configSchema) and creates senders
 * from a tenant's provider configuration. The engine owns everything else: rendering, retries,
 * fallback, circuit breaking, recording attempts, applying receipts.
 */

export type Channel = 'email' | 'sms' | 'push' | 'whatsapp' | 'voice' | 'chat' | 'webhook' | 'in_app';
export const CHANNELS: readonly Channel[] = ['email', 'sms', 'push', 'whatsapp', 'voice', 'chat', 'webhook', 'in_app'];

export type Priority = 'low' | 'normal' | 'high' | 'critical';

/** A JSON Schema (2020-12) object. Secret properties carry `"writeOnly": true`: never returned, always masked. */
export type JSONSchema = Record<string, unknown>;

export interface Device {
  /** `fcm` (Android/iOS through Firebase), `apns`, or `webpush` (a browser PushSubscription). */
  platform: 'fcm' | 'apns' | 'webpush';
  /** FCM registration token or APNs device token. */
  token?: string;
  /** Web push: the PushSubscription JSON ({endpoint, keys: {p256dh, auth}}). */
  subscription?: { endpoint: string; keys: { p256dh: string; auth: string } };
  label?: string;
}

export interface Recipient {
  /** The subscriber's external id (the tenant's own id for the person). */
  id: string;
  name?: string;
  email?: string;
  /** E.164, e.g. +14155550100. */
  phone?: string;
  locale?: string;
  timezone?: string;
  devices?: Device[];
  /** Chat addresses: `{ slack: { channel, userId }, teams: { webhookUrl } }`. */
  chat?: Record<string, Record<string, string> | undefined>;
  data?: Record<string, unknown>;
}

/** What the templates produced for the channel. Which parts exist depends on the channel. */
export interface RenderedContent {
  /** email */
  subject?: string;
  html?: string;
  /** email (plain part), sms, whatsapp, voice, chat */
  text?: string;
  /** push, in_app */
  title?: string;
  body?: string;
  /** push data payload (string values), in_app extra data */
  data?: Record<string, string>;
  /** chat: Slack blocks / Teams Adaptive Card body */
  blocks?: unknown;
  /** in_app, push: where a click leads */
  url?: string;
  /**
   * in_app: buttons. `action` is the key the inbox records when the button is taken; `style`
   * says which is the primary one (default: the first).
   */
  actions?: Array<{ label: string; url?: string; action?: string; style?: 'primary' | 'secondary' }>;
  /** webhook: the rendered JSON body */
  json?: unknown;
  /** whatsapp: an approved template to send instead of free text (outside the 24 h window) */
  template?: { name: string; language: string; variables?: string[]; contentSid?: string };
}

export interface OutboundMessage {
  tenantId: string;
  notificationId: string;
  deliveryId: string;
  channel: Channel;
  priority: Priority;
  /** The locale the content was rendered in, e.g. `fr-CA`. */
  locale: string;
  /** The A/B test variant the content is, when its workflow tests one on this channel. */
  variant?: string;
  to: Recipient;
  content: RenderedContent;
  /** Extra protocol headers (email: List-Unsubscribe, List-Unsubscribe-Post). */
  headers?: Record<string, string>;
  /** Signed links Clarion serves: acknowledge the notification, unsubscribe, and so on. */
  links?: { ack?: string; unsubscribe?: string };
  /** Free-form tags passed to providers that support them (message metadata, custom args). */
  metadata?: Record<string, string>;
  /** email: files the event carried (`data.attachments`), the same for every recipient. */
  attachments?: Attachment[];
  /**
   * sms, whatsapp: the event's files as links the provider fetches (signed, expiring after 24 h,
   * served by Clarion's gateway): MMS media, WhatsApp documents and images.
   */
  media?: MediaLink[];
  /** What the notification is about (its workflow's `correlation`): in-app items of the same key are updated in place. */
  correlationKey?: string;
}

export interface MediaLink {
  url: string;
  filename: string;
  contentType: string;
}

export interface Attachment {
  filename: string;
  contentType: string;
  content: Buffer;
}

export interface SendOptions {
  /** Stable across retries of one delivery: providers that support it deduplicate on it. */
  idempotencyKey: string;
  /** Aborted when the engine's send timeout fires or the worker stops. */
  signal: AbortSignal;
}

export interface SendResult {
  /** The provider's id of the message, used to match receipts. */
  providerMessageId?: string;
  /** `sent`: accepted by the provider; `delivered`: the provider confirmed delivery synchronously. */
  status: 'sent' | 'delivered';
  /** Facts worth keeping on the attempt (segment count, encoding, accepted recipients...). */
  details?: Record<string, unknown>;
  /** The provider's response, truncated by the engine before it is stored. */
  response?: string;
  /** What the provider charged for the message, where its answer says (it wins over the configured price). */
  price?: { amount: number; currency: string };
  /**
   * Addresses that failed for good while the send as a whole succeeded (one of a subscriber's
   * push devices is unregistered while another received the message): the engine removes them.
   */
  invalidDestinations?: Array<{ kind: 'device' | 'email' | 'phone'; value: string }>;
}

/** A receipt or inbound message, as the provider posted it to Clarion. */
export interface CallbackRequest {
  method: string;
  /** The full public URL the provider called (what Twilio signs). */
  url: string;
  headers: Record<string, string | undefined>;
  query: Record<string, string>;
  rawBody: Buffer;
  /** The body parsed by its Content-Type: form fields or JSON. */
  body: unknown;
}

export type ReceiptStatus = 'sent' | 'delivered' | 'undelivered' | 'bounced' | 'read' | 'failed' | 'opened' | 'clicked' | 'complained';

export interface StatusUpdate {
  providerMessageId: string;
  /** The delivery id Clarion attached to the message, when the provider echoes it back (custom args, user variables). */
  deliveryId?: string;
  status: ReceiptStatus;
  at?: Date;
  errorCode?: string;
  errorMessage?: string;
  /**
   * An open or click the provider says a machine made (Apple Mail Privacy Protection prefetching
   * the pixel, a security scanner following links): recorded as a prefetch, never as engagement.
   */
  machine?: boolean;
  /** A call's duration in seconds once it ended answered (Twilio's `CallDuration`): what a per-minute price is charged on. */
  durationSeconds?: number;
}

export interface InboundMessage {
  channel: Channel;
  /** The sender's address (phone number in E.164 for SMS). */
  from: string;
  text: string;
  /** What the text means, when it is a keyword: STOP/UNSUBSCRIBE, START, ACK/1. */
  keyword?: 'stop' | 'start' | 'ack';
  providerMessageId?: string;
}

/** What to answer a provider's callback. */
export interface CallbackResponse {
  status?: number;
  contentType?: string;
  body?: string;
}

/** What the engine did with a callback's acknowledgements, for an answer that depends on it. */
export interface CallbackApplied {
  /** Acknowledged now. */
  acknowledged: string[];
  /** Acknowledged before (by someone, on some channel). */
  alreadyAcknowledged: string[];
  /** Not a notification of this tenant that can be acknowledged. */
  unknown: string[];
}

export interface CallbackResult {
  updates?: StatusUpdate[];
  inbound?: InboundMessage[];
  /** Notification ids acknowledged from the provider's side (a voice keypress). */
  acknowledgements?: string[];
  /**
   * What to answer the provider (TwiML, a hub.challenge echo); 200 with no body otherwise. A
   * function is called once the callback is applied, so the answer can tell the truth ("your
   * acknowledgement was recorded" only when it was).
   */
  response?: CallbackResponse | ((applied: CallbackApplied) => CallbackResponse);
}

export interface AdapterLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Parts of Clarion an adapter may use; anything else it reaches through its own provider. */
export interface AdapterHost {
  /** in_app: put a message in the subscriber's inbox; returns the inbox item id. */
  inbox?: { put(message: OutboundMessage): Promise<string> };
  /** sandbox: record what would have been sent; returns the record id. */
  outbox?: { record(adapter: string, message: OutboundMessage, providerId: string): Promise<string> };
}

export interface AdapterContext {
  log: AdapterLogger;
  /**
   * Use this fetch for every HTTP call: it goes through the operator's outbound network policy
   * (no private, loopback or metadata addresses unless the operator allows them, addresses
   * checked at connect time, redirects never followed: a 3xx comes back to the adapter).
   */
  fetch: typeof fetch;
  /**
   * The same policy for connections an adapter opens otherwise: node agents for SDKs that take
   * one, TCP connections (SMTP), and checks of URLs and hosts from the configuration.
   */
  outbound: OutboundAccess;
  tenantId: string;
  /** The provider configuration's id. */
  providerId: string;
  /** The gateway's public base URL. */
  publicUrl: string;
  /** Where the provider must post receipts for this provider configuration. */
  callbackUrl: string;
  host: AdapterHost;
}

export interface Sender {
  send(message: OutboundMessage, options: SendOptions): Promise<SendResult>;
  /** Checks the credentials against the provider without sending (used by `POST /v1/providers/:id/test`). */
  verify?(): Promise<void>;
  close?(): Promise<void>;
  /**
   * Verifies and parses a receipt. Throws `CallbackRejected` (401/403) when the signature is
   * missing or wrong: nothing of an unverified callback may be trusted.
   */
  parseCallback?(request: CallbackRequest): Promise<CallbackResult>;
}

export interface AdapterDefinition<Config = Record<string, unknown>> {
  /** The package's adapter name, e.g. `twilio-sms`. Unique. */
  name: string;
  channel: Channel;
  /** For adapters that serve several channels (the sandbox): all of them, `channel` included. */
  channels?: Channel[];
  /**
   * Needs no configuration and serves its channel(s) whenever the tenant configured no provider
   * for them (the in-app inbox).
   */
  implicit?: boolean;
  /**
   * Sends within Clarion (through the host: the inbox, the outbox), never to a provider over the
   * network. Its sends are not held to the worker's provider calls in flight
   * (CLARION_WORKER_CONCURRENCY): they are Clarion's own writes, batched as such.
   */
  local?: boolean;
  description?: string;
  /** JSON Schema of the provider configuration (credentials and options). Drives validation and the admin form. */
  configSchema: JSONSchema;
  create(config: Config, context: AdapterContext): Sender | Promise<Sender>;
}

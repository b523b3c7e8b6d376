import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { parseAllowList } from '@clarion/adapter-kit';
import { ClarionError } from './errors.ts';
import { DEFAULT_RETRY_SCHEDULE, parseSchedule } from './webhooks/schedule.ts';
import { DEFAULT_FALLBACK_AFTER, DEFAULT_RETRY_SCHEDULES, parseFallbackAfter } from './delivery/policy.ts';

/**
 * Clarion's settings. Every one comes from the environment, or from a JSON file named by
 * `CLARION_CONFIG_FILE` whose keys are the same variable names; the environment wins over the file.
 * Everything is validated at boot: a bad value stops the start with a message naming the variable
 * and what is allowed.
 */
export interface Config {
  /** `PORT`: TCP port of the HTTP gateway. Default 8080. */
  port: number;
  /** `HOST`: address the gateway listens on. Default 127.0.0.1 (use 0.0.0.0 to expose it). */
  host: string;
  /** `DATABASE_URL`: PostgreSQL connection string. Unset: an embedded PostgreSQL under the data dir. */
  databaseUrl: string | undefined;
  /** `CLARION_DATA_DIR`: where the embedded database and generated secrets live. Default ./.clarion */
  dataDir: string;
  /**
   * `CLARION_SECRET_KEY`: 32 bytes, base64 or hex, that encrypts provider credentials at rest.
   * Generated into the data dir in embedded mode; required with `DATABASE_URL`.
   */
  secretKey: Buffer | undefined;
  /** `CLARION_MAX_BODY_BYTES`: largest request body accepted. Default 1048576 (1 MiB). */
  maxBodyBytes: number;
  /** `CLARION_LOG_LEVEL` (or `LOG_LEVEL`): trace, debug, info, warn, error, fatal or silent. Default info. */
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  /** `CLARION_PUBLIC_URL`: the URL the outside world reaches this gateway at. Default http://HOST:PORT */
  publicUrl: string;
  /** `CLARION_WORKER_CONCURRENCY`: jobs run at once per worker process. Default 10. */
  workerConcurrency: number;
  /** `CLARION_WORKER_POLL_MS`: fallback poll interval of the worker (jobs normally arrive by LISTEN). Default 2000. */
  workerPollMs: number;
  workerLocalQueue: number;
  workerCompleteBatchMs: number;
  /** `CLARION_DB_POOL_MAX`: PostgreSQL connections per process. Default 10. */
  dbPoolMax: number;
  /** Named prepared statements on the hot path (and graphile-worker's); off behind PgBouncer's transaction pooling. */
  dbPreparedStatements: boolean;
  /** `CLARION_INGEST_ALLOWED_ORIGIN`: origin answered in the CloudEvents webhook handshake. Default `*`. */
  ingestAllowedOrigin: string;
  /** `CLARION_INGEST_ALLOWED_RATE`: requests per minute announced in the handshake. Default 1200. */
  ingestAllowedRate: number;
  /**
   * `CLARION_INGEST_GROUP_WINDOW_MS`: single events arriving within this many milliseconds of the
   * first one waiting are stored by one statement and one commit (group commit); each request is
   * answered once that commit returns. 0: every event is written alone, at once. Default 2.
   */
  ingestGroupWindowMs: number;
  /** `CLARION_INGEST_GROUP_MAX`: events in one group at most; a full group is written without waiting for the window. Default 100. */
  ingestGroupMax: number;
  /** `CLARION_INGEST_QUEUE_MAX`: single events waiting or being written at most; the next is refused with 503 and `Retry-After`. Default 10000. */
  ingestQueueMax: number;
  /** `CLARION_SHUTDOWN_TIMEOUT_MS`: how long a graceful stop waits for running jobs. Default 10000. */
  shutdownTimeoutMs: number;
  /**
   * `CLARION_RETRY_SCHEDULE_LOW|NORMAL|HIGH|CRITICAL`: the delays between the attempts of a
   * delivery, by priority, comma-separated with units (each spread ±20 %). Defaults: low
   * `5m,15m,40m` (4 attempts in an hour), normal `10s,1m,5m,10m,20m,30m` (7 in about an hour),
   * high `5s,30s,2m,10m,30m,1h,2h,2h` (9 in about six hours), critical
   * `2s,10s,30s,2m,5m,15m,30m,1h,2h,4h,8h,8h` (13 in about a day).
   */
  retrySchedules: Record<'low' | 'normal' | 'high' | 'critical', number[]>;
  /** `CLARION_RETRY_SCALE`: multiplies every retry delay and fallback wait, e.g. 0.001 in tests. Default 1. */
  retryScale: number;
  /**
   * `CLARION_FALLBACK_AFTER`: how long a channel with a fallback keeps failing (transient errors)
   * before its fallback channels take over, by priority. Default `low=30m,normal=5m,high=1m,critical=0s`.
   * An open circuit falls back at once whatever this says.
   */
  fallbackAfterMs: Record<'low' | 'normal' | 'high' | 'critical', number>;
  /** `CLARION_RETRY_MAX_MS`: no wait between two attempts is longer, a provider's Retry-After included. Default 28800000 (8 h). */
  retryMaxMs: number;
  /** `CLARION_SEND_TIMEOUT_MS`: how long one provider call may take before it counts as a transient failure. Default 15000. */
  sendTimeoutMs: number;
  /** `CLARION_CIRCUIT_THRESHOLD`: consecutive transient failures that open a provider's circuit. Default 5. */
  circuitThreshold: number;
  /** `CLARION_CIRCUIT_HALF_OPEN_MS`: how long an open circuit fails fast before a probe is let through. Default 30000. */
  circuitHalfOpenMs: number;
  /** `CLARION_WORKER_DEAD_AFTER_MS`: a worker silent this long is dead and its jobs are unlocked. Default 60000. */
  workerDeadAfterMs: number;
  /** `CLARION_DEFAULT_SANDBOX`: with no provider for a channel, record messages in the sandbox outbox. Default true with the embedded database, false otherwise. */
  defaultSandbox: boolean;
  /**
   * `CLARION_METRICS_TOKEN`: when set, `/metrics` answers only requests with
   * `Authorization: Bearer <this token>` (401 otherwise). Unset (the default): `/metrics` is open.
   */
  metricsToken: string | undefined;
  /**
   * `CLARION_METRICS_TENANT_LABELS`: label metric series with tenants' webhook endpoint and
   * provider configuration ids (one series per endpoint or provider). Default false: those metrics
   * are aggregated without such labels, so a scrape reveals nothing of who the tenants are.
   */
  metricsTenantLabels: boolean;
  /**
   * `CLARION_CACHE_TTL_MS`: how long configuration (workflows, contracts, providers, templates,
   * layouts, webhook endpoint filters, API keys) stays cached per process at most (0: not at all).
   * Changes reach every process at once through LISTEN/NOTIFY; this is the safety net for a
   * process whose listening connection is down. Default 30000.
   */
  cacheTtlMs: number;
  /** Extra `name=value` server settings for the embedded PostgreSQL, applied when Clarion starts it. */
  embeddedPostgresSettings: string[];
  /** `CLARION_ADAPTERS`: extra adapter packages to load, comma-separated (the `@clarion/adapter-*` packages are found by themselves). */
  adapterPackages: string[];
  /**
   * `CLARION_WEBHOOK_RETRY_SCHEDULE`: delays before each attempt of an outgoing webhook message
   * (the first is normally 0s: at once), comma-separated with units ms, s, m, h or d; each delay is
   * spread by up to 10 % either way. Default `0s,5s,5m,30m,2h,5h,10h,10h` (8 attempts over ~27.5 h).
   */
  webhookRetrySchedule: number[];
  /** `CLARION_WEBHOOK_RETRY_SCALE`: multiplies every webhook retry delay, e.g. 0.001 in tests and checks. Default 1. */
  webhookRetryScale: number;
  /**
   * `CLARION_OUTBOUND_ALLOW_PRIVATE`: let every outbound connection made for a tenant (channel
   * adapters, SMTP, SDKs, outgoing webhooks) reach loopback, private, link-local and other
   * non-public addresses. Cloud metadata addresses stay unreachable whatever this says. Default
   * true with the embedded database (DATABASE_URL unset, a laptop), false otherwise. Replaces
   * `CLARION_WEBHOOK_ALLOW_PRIVATE` (still read, with a deprecation warning).
   */
  outboundAllowPrivate: boolean;
  /**
   * `CLARION_OUTBOUND_ALLOWLIST`: comma-separated host names, `*.domain`s, IP addresses or CIDR
   * ranges that outbound connections may reach although they are not public (metadata addresses
   * cannot be listed). Default empty. Replaces `CLARION_WEBHOOK_ALLOWLIST` (still read, with a
   * deprecation warning).
   */
  outboundAllowList: string[];
  /**
   * `CLARION_SECRET_REFS`: the secret references (`env:NAME`, `file:/path`) tenants may use in
   * provider configurations, as comma-separated patterns: `env:SMTP_*,file:/run/secrets/*`, where
   * `*` matches any characters but `/`, `**` also `/`, and `{tenant}` stands for the tenant's id
   * (`-` written `_` in `env:` patterns), e.g. `env:TENANT_{tenant}_*`. Default empty: no
   * references at all (a tenant cannot read the server's environment or files).
   */
  secretRefs: string[];
  /**
   * `CLARION_INBOX_HEARTBEAT_MS`: how often an inbox stream carries a heartbeat (and a WebSocket
   * ping); a WebSocket that has not answered the previous ping by then is cut. Default 25000.
   */
  inboxHeartbeatMs: number;
  /**
   * `CLARION_INBOX_MAX_BUFFER_BYTES`: an inbox stream with more than this waiting to be sent (a
   * client that does not read) is cut rather than buffered; it resumes from its cursor when it
   * reconnects. Default 1048576 (1 MiB).
   */
  inboxMaxBufferBytes: number;
  /**
   * `CLARION_INBOX_CHANGES_KEEP_HOURS`: how long each inbox change is kept for streams that
   * reconnect with their cursor; a cursor older than that gets a `reset` (reload the list).
   * Default 72.
   */
  inboxChangesKeepHours: number;
  /**
   * `CLARION_RETENTION_DAYS`: how many days events, notifications, deliveries and their attempts,
   * interactions, inbox items, attachments and webhook messages are kept for a tenant whose
   * settings do not say (`settings.retentionDays`); the daily `enforce_retention` job deletes older
   * rows, never pending work. Default 90.
   */
  retentionDays: number;
  /** `CLARION_RETENTION_MAX_DAYS`: the most days a tenant may keep them (a larger `retentionDays` is refused, and one stored before the maximum was lowered counts as the maximum). Default 365. */
  retentionMaxDays: number;
  /** `CLARION_ANALYTICS_RETENTION_DAYS`: how many days the hour and day analytics rollups are kept (at least CLARION_RETENTION_MAX_DAYS: figures outlive the rows). Default 730. */
  analyticsRetentionDays: number;
  /** `CLARION_RETENTION_BATCH`: rows deleted per short transaction by the retention job. Default 500. */
  retentionBatch: number;
  /** `CLARION_ADMIN_SESSION_TTL_MS`: a console session ends after this long without a request. Default 28800000 (8 h). */
  adminSessionTtlMs: number;
  /** `CLARION_ADMIN_LIVE_MS`: how often the console's live dashboard (server-sent events) looks for new figures. Default 5000. */
  adminLiveMs: number;
  /**
   * `CLARION_AMQP_URL`: a RabbitMQ (AMQP 0-9-1) broker to read CloudEvents from, e.g.
   * `amqp://clarion:secret@rabbitmq:5672/%2f`. Unset (the default): no broker binding. The gateway
   * (and `clarion consume`) then consume `CLARION_AMQP_QUEUE`.
   */
  amqpUrl: string | undefined;
  /** `CLARION_AMQP_QUEUE`: the queue CloudEvents are read from. Default `clarion.events`. */
  amqpQueue: string;
  /** `CLARION_AMQP_DEAD_LETTER_QUEUE`: where refused messages go, with their problem document. Default `<queue>.dead`. */
  amqpDeadLetterQueue: string;
  /** `CLARION_AMQP_PREFETCH`: messages in flight (unacknowledged) at most per consumer. Default 20. */
  amqpPrefetch: number;
  /** `CLARION_AMQP_DECLARE`: declare both queues (durable) at each connection; false: they must exist. Default true. */
  amqpDeclare: boolean;
  /** `CLARION_AMQP_TENANT`: the tenant of messages that carry no API key (a queue dedicated to one tenant). Default unset: such messages are refused. */
  amqpTenant: string | undefined;
  /**
   * `CLARION_TOPIC_PAGE_SIZE`: members fanned out per job (and transaction) when an event goes to a
   * topic; pages through plugins that decide per subscriber take at most 200. Default 1000.
   */
  topicPageSize: number;
  /**
   * `CLARION_ATTACHMENT_FETCH_TIMEOUT_MS`: how long fetching one attachment given by URL may take,
   * redirects and body included, at ingest. Default 10000.
   */
  attachmentFetchTimeoutMs: number;
  /**
   * `CLARION_TOPIC_STREAMS`: a fan-out to topics holding more than two pages of members is split
   * into this many streams over ranges of subscriber ids, whose pages run at once. Default 8.
   */
  topicStreams: number;
  /**
   * `CLARION_INBOX_PRESENCE_TTL_MS`: a subscriber is online while a gateway refreshed their
   * presence within this long (gateways refresh every third of it); a gateway that dies stops
   * counting after it. Default 60000.
   */
  inboxPresenceTtlMs: number;
  /** Warnings about settings read under deprecated names, logged at start. */
  deprecations: string[];
}

interface Setting {
  env: string;
  aliases?: string[];
  /** Older names still read (the current name wins), each with a warning. */
  deprecated?: string[];
  /** Sibling variables read by the same setting (one per priority), accepted in the config file. */
  related?: string[];
  schema: Record<string, unknown>;
  allowed: string;
  /** A secret: an invalid value is not repeated in the error (which reaches logs and terminals). */
  secret?: boolean;
}

const SETTINGS: Record<keyof Omit<Config, 'deprecations'>, Setting> = {
  port: { env: 'PORT', schema: { type: 'integer', minimum: 0, maximum: 65535, default: 8080 }, allowed: 'an integer from 0 to 65535' },
  host: { env: 'HOST', schema: { type: 'string', minLength: 1, default: '127.0.0.1' }, allowed: 'a host name or IP address' },
  databaseUrl: {
    env: 'DATABASE_URL',
    schema: { type: 'string', pattern: '^postgres(ql)?://' },
    allowed: 'a postgres:// or postgresql:// connection string, or unset for the embedded database',
    // It carries the database password.
    secret: true,
  },
  dataDir: { env: 'CLARION_DATA_DIR', schema: { type: 'string', minLength: 1, default: './.clarion' }, allowed: 'a directory path' },
  secretKey: {
    env: 'CLARION_SECRET_KEY',
    schema: { type: 'string', pattern: '^([0-9a-fA-F]{64}|[A-Za-z0-9+/_-]{43}=?)$' },
    allowed: '32 random bytes as 64 hex digits or 44 base64 characters (e.g. `openssl rand -base64 32`)',
    secret: true,
  },
  maxBodyBytes: {
    env: 'CLARION_MAX_BODY_BYTES',
    schema: { type: 'integer', minimum: 1024, maximum: 104857600, default: 1048576 },
    allowed: 'an integer number of bytes from 1024 to 104857600',
  },
  logLevel: {
    env: 'CLARION_LOG_LEVEL',
    aliases: ['LOG_LEVEL'],
    schema: { enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], default: 'info' },
    allowed: 'one of trace, debug, info, warn, error, fatal, silent',
  },
  publicUrl: { env: 'CLARION_PUBLIC_URL', schema: { type: 'string', pattern: '^https?://' }, allowed: 'an http:// or https:// URL' },
  workerConcurrency: {
    env: 'CLARION_WORKER_CONCURRENCY',
    schema: { type: 'integer', minimum: 1, maximum: 200, default: 10 },
    allowed: 'an integer from 1 to 200',
  },
  workerPollMs: {
    env: 'CLARION_WORKER_POLL_MS',
    schema: { type: 'integer', minimum: 10, maximum: 600000, default: 2000 },
    allowed: 'an integer number of milliseconds from 10 to 600000',
  },
  workerLocalQueue: {
    env: 'CLARION_WORKER_LOCAL_QUEUE',
    schema: { type: 'integer', minimum: 0, maximum: 1000, default: 0 },
    allowed: 'an integer from 0 to 1000 (0: as many as CLARION_WORKER_CONCURRENCY plus one; 1: fetch jobs one at a time)',
  },
  workerCompleteBatchMs: {
    env: 'CLARION_WORKER_COMPLETE_BATCH_MS',
    schema: { type: 'integer', minimum: -1, maximum: 5000, default: 0 },
    allowed: 'an integer number of milliseconds from -1 (off) to 5000',
  },
  dbPoolMax: { env: 'CLARION_DB_POOL_MAX', schema: { type: 'integer', minimum: 2, maximum: 500, default: 10 }, allowed: 'an integer from 2 to 500' },
  ingestAllowedOrigin: {
    env: 'CLARION_INGEST_ALLOWED_ORIGIN',
    schema: { type: 'string', minLength: 1, default: '*' },
    allowed: 'an origin such as https://events.example.com, or *',
  },
  ingestAllowedRate: {
    env: 'CLARION_INGEST_ALLOWED_RATE',
    schema: { type: 'integer', minimum: 1, default: 1200 },
    allowed: 'a positive integer (requests per minute)',
  },
  ingestGroupWindowMs: {
    env: 'CLARION_INGEST_GROUP_WINDOW_MS',
    schema: { type: 'integer', minimum: 0, maximum: 1000, default: 2 },
    allowed: 'an integer number of milliseconds from 0 (no grouping) to 1000',
  },
  ingestGroupMax: {
    env: 'CLARION_INGEST_GROUP_MAX',
    schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    allowed: 'an integer from 1 to 1000',
  },
  ingestQueueMax: {
    env: 'CLARION_INGEST_QUEUE_MAX',
    schema: { type: 'integer', minimum: 1, maximum: 1000000, default: 10000 },
    allowed: 'an integer from 1 to 1000000',
  },
  shutdownTimeoutMs: {
    env: 'CLARION_SHUTDOWN_TIMEOUT_MS',
    schema: { type: 'integer', minimum: 0, maximum: 600000, default: 10000 },
    allowed: 'an integer number of milliseconds from 0 to 600000',
  },
  retrySchedules: {
    env: 'CLARION_RETRY_SCHEDULE_NORMAL',
    related: ['CLARION_RETRY_SCHEDULE_LOW', 'CLARION_RETRY_SCHEDULE_HIGH', 'CLARION_RETRY_SCHEDULE_CRITICAL'],
    schema: { type: 'string' },
    allowed: 'up to 25 comma-separated delays with units (ms, s, m, h, d), e.g. 10s,1m,5m',
  },
  retryScale: {
    env: 'CLARION_RETRY_SCALE',
    schema: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 1 },
    allowed: 'a number greater than 0 and at most 1 (e.g. 0.001 in tests)',
  },
  fallbackAfterMs: {
    env: 'CLARION_FALLBACK_AFTER',
    schema: { type: 'string', default: DEFAULT_FALLBACK_AFTER },
    allowed: 'low=DURATION,normal=DURATION,high=DURATION,critical=DURATION with units (e.g. low=30m,normal=5m,high=1m,critical=0s), each at most a day',
  },
  retryMaxMs: { env: 'CLARION_RETRY_MAX_MS', schema: { type: 'integer', minimum: 1000, maximum: 86400000, default: 28800000 }, allowed: 'an integer number of milliseconds from 1000 to 86400000' },
  sendTimeoutMs: { env: 'CLARION_SEND_TIMEOUT_MS', schema: { type: 'integer', minimum: 100, maximum: 300000, default: 15000 }, allowed: 'an integer number of milliseconds from 100 to 300000' },
  circuitThreshold: { env: 'CLARION_CIRCUIT_THRESHOLD', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 5 }, allowed: 'an integer from 1 to 1000' },
  circuitHalfOpenMs: { env: 'CLARION_CIRCUIT_HALF_OPEN_MS', schema: { type: 'integer', minimum: 10, maximum: 3600000, default: 30000 }, allowed: 'an integer number of milliseconds from 10 to 3600000' },
  workerDeadAfterMs: { env: 'CLARION_WORKER_DEAD_AFTER_MS', schema: { type: 'integer', minimum: 1000, maximum: 3600000, default: 60000 }, allowed: 'an integer number of milliseconds from 1000 to 3600000' },
  defaultSandbox: { env: 'CLARION_DEFAULT_SANDBOX', schema: { type: 'boolean' }, allowed: 'true or false' },
  webhookRetrySchedule: {
    env: 'CLARION_WEBHOOK_RETRY_SCHEDULE',
    schema: { type: 'string', pattern: '^\\s*\\d+(\\.\\d+)?(ms|s|m|h|d)\\s*(,\\s*\\d+(\\.\\d+)?(ms|s|m|h|d)\\s*){0,24}$', default: DEFAULT_RETRY_SCHEDULE },
    allowed: 'up to 25 comma-separated delays of at most 7 days each, with a unit: ms, s, m, h or d (e.g. 0s,5s,5m,30m,2h,5h,10h,10h)',
  },
  webhookRetryScale: {
    env: 'CLARION_WEBHOOK_RETRY_SCALE',
    schema: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 1 },
    allowed: 'a number greater than 0 and at most 1 (e.g. 0.001 in tests)',
  },
  outboundAllowPrivate: { env: 'CLARION_OUTBOUND_ALLOW_PRIVATE', deprecated: ['CLARION_WEBHOOK_ALLOW_PRIVATE'], schema: { type: 'boolean' }, allowed: 'true or false' },
  outboundAllowList: {
    env: 'CLARION_OUTBOUND_ALLOWLIST',
    deprecated: ['CLARION_WEBHOOK_ALLOWLIST'],
    schema: { type: 'string' },
    allowed: 'comma-separated host names, *.domains, IP addresses or CIDR ranges (e.g. hooks.internal,10.0.0.0/8)',
  },
  secretRefs: {
    env: 'CLARION_SECRET_REFS',
    schema: { type: 'string' },
    allowed: 'comma-separated patterns of env:NAME or file:/absolute/path, with * wildcards and {tenant} (e.g. env:SMTP_*,file:/run/secrets/{tenant}/*)',
  },
  metricsToken: {
    env: 'CLARION_METRICS_TOKEN',
    schema: { type: 'string', pattern: '^[!-~]{16,512}$' },
    allowed: 'a token of 16 to 512 printable ASCII characters without spaces (e.g. `openssl rand -hex 32`), or unset for an open /metrics',
    secret: true,
  },
  metricsTenantLabels: { env: 'CLARION_METRICS_TENANT_LABELS', schema: { type: 'boolean', default: false }, allowed: 'true or false' },
  cacheTtlMs: { env: 'CLARION_CACHE_TTL_MS', schema: { type: 'integer', minimum: 0, maximum: 600000, default: 30000 }, allowed: 'an integer number of milliseconds from 0 to 600000' },
  dbPreparedStatements: {
    env: 'CLARION_DB_PREPARED_STATEMENTS',
    schema: { type: 'boolean', default: true },
    allowed: 'true or false (false behind a pooler that cannot keep prepared statements, e.g. PgBouncer in transaction mode)',
  },
  embeddedPostgresSettings: {
    env: 'CLARION_EMBEDDED_POSTGRES_SETTINGS',
    schema: { type: 'string', pattern: '^\\s*([a-z_][a-z0-9_.]*=\\S+\\s*)*$' },
    allowed: 'PostgreSQL settings as name=value separated by spaces (e.g. shared_buffers=256MB shared_preload_libraries=pg_stat_statements)',
  },
  inboxHeartbeatMs: { env: 'CLARION_INBOX_HEARTBEAT_MS', schema: { type: 'integer', minimum: 50, maximum: 600000, default: 25000 }, allowed: 'an integer number of milliseconds from 50 to 600000' },
  inboxMaxBufferBytes: { env: 'CLARION_INBOX_MAX_BUFFER_BYTES', schema: { type: 'integer', minimum: 4096, maximum: 268435456, default: 1048576 }, allowed: 'an integer number of bytes from 4096 to 268435456' },
  inboxPresenceTtlMs: { env: 'CLARION_INBOX_PRESENCE_TTL_MS', schema: { type: 'integer', minimum: 300, maximum: 3600000, default: 60000 }, allowed: 'an integer number of milliseconds from 300 to 3600000' },
  retentionDays: { env: 'CLARION_RETENTION_DAYS', schema: { type: 'integer', minimum: 1, maximum: 36500, default: 90 }, allowed: 'an integer number of days from 1 to 36500' },
  retentionMaxDays: { env: 'CLARION_RETENTION_MAX_DAYS', schema: { type: 'integer', minimum: 1, maximum: 36500, default: 365 }, allowed: 'an integer number of days from 1 to 36500' },
  analyticsRetentionDays: { env: 'CLARION_ANALYTICS_RETENTION_DAYS', schema: { type: 'integer', minimum: 1, maximum: 36500, default: 730 }, allowed: 'an integer number of days from 1 to 36500' },
  retentionBatch: { env: 'CLARION_RETENTION_BATCH', schema: { type: 'integer', minimum: 1, maximum: 10000, default: 500 }, allowed: 'an integer from 1 to 10000' },
  inboxChangesKeepHours: { env: 'CLARION_INBOX_CHANGES_KEEP_HOURS', schema: { type: 'integer', minimum: 1, maximum: 8760, default: 72 }, allowed: 'an integer number of hours from 1 to 8760' },
  adminSessionTtlMs: {
    env: 'CLARION_ADMIN_SESSION_TTL_MS',
    schema: { type: 'integer', minimum: 60000, maximum: 2592000000, default: 28800000 },
    allowed: 'an integer number of milliseconds from 60000 (1 minute) to 2592000000 (30 days)',
  },
  adminLiveMs: { env: 'CLARION_ADMIN_LIVE_MS', schema: { type: 'integer', minimum: 50, maximum: 600000, default: 5000 }, allowed: 'an integer number of milliseconds from 50 to 600000' },
  amqpUrl: {
    env: 'CLARION_AMQP_URL',
    schema: { type: 'string', pattern: '^amqps?://' },
    allowed: 'an amqp:// or amqps:// URL (e.g. amqp://user:password@rabbitmq:5672/%2f), or unset for no broker binding',
    // It carries the broker password.
    secret: true,
  },
  amqpQueue: {
    env: 'CLARION_AMQP_QUEUE',
    schema: { type: 'string', pattern: '^(?!amq\\.)[A-Za-z0-9_.:-]{1,200}$', default: 'clarion.events' },
    allowed: 'a queue name of 1 to 200 letters, digits, _ . : -, not starting with amq. (reserved by the broker)',
  },
  amqpDeadLetterQueue: {
    env: 'CLARION_AMQP_DEAD_LETTER_QUEUE',
    schema: { type: 'string', pattern: '^(?!amq\\.)[A-Za-z0-9_.:-]{1,200}$' },
    allowed: 'a queue name of 1 to 200 letters, digits, _ . : -, not starting with amq. (default: the queue name followed by .dead)',
  },
  amqpPrefetch: { env: 'CLARION_AMQP_PREFETCH', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 20 }, allowed: 'an integer from 1 to 1000' },
  amqpDeclare: { env: 'CLARION_AMQP_DECLARE', schema: { type: 'boolean', default: true }, allowed: 'true or false' },
  amqpTenant: {
    env: 'CLARION_AMQP_TENANT',
    schema: { type: 'string', pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' },
    allowed: 'a tenant id (the UUID `clarion tenant create` printed)',
  },
  attachmentFetchTimeoutMs: { env: 'CLARION_ATTACHMENT_FETCH_TIMEOUT_MS', schema: { type: 'integer', minimum: 100, maximum: 60000, default: 10000 }, allowed: 'an integer number of milliseconds from 100 to 60000' },
  topicPageSize: { env: 'CLARION_TOPIC_PAGE_SIZE', schema: { type: 'integer', minimum: 1, maximum: 10000, default: 1000 }, allowed: 'an integer from 1 to 10000' },
  topicStreams: { env: 'CLARION_TOPIC_STREAMS', schema: { type: 'integer', minimum: 1, maximum: 64, default: 8 }, allowed: 'an integer from 1 to 64' },
  adapterPackages: { env: 'CLARION_ADAPTERS', schema: { type: 'string', pattern: '^[@a-z0-9._/,\\s-]*$' }, allowed: 'package names separated by commas' },
};

const ajv = new Ajv({ allErrors: true, coerceTypes: true, useDefaults: true, strict: true });
const validateSettings = ajv.compile({
  type: 'object',
  properties: Object.fromEntries(Object.values(SETTINGS).map((s) => [s.env, s.schema])),
  additionalProperties: true,
});

export type Env = Record<string, string | undefined>;

/** Reads and validates the configuration. Throws a `ClarionError` naming every bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const raw: Record<string, unknown> = {};
  const deprecations: string[] = [];
  const file = env.CLARION_CONFIG_FILE;
  const fromFile = file ? readConfigFile(file) : {};
  for (const setting of Object.values(SETTINGS)) {
    // Later names win: deprecated ones, then aliases, then the setting's own name; the
    // environment over the file.
    for (const source of [fromFile, env] as Array<Record<string, unknown>>) {
      for (const name of [...(setting.deprecated ?? []), ...(setting.aliases ?? []).toReversed(), setting.env]) {
        const value = source[name];
        if (value === undefined || value === '') continue;
        raw[setting.env] = value;
        if (setting.deprecated?.includes(name)) deprecations.push(`${name} is deprecated: use ${setting.env} (it applies to every outbound connection now)`);
      }
    }
  }
  const original = { ...raw };
  if (!validateSettings(raw)) {
    const problems = (validateSettings.errors ?? []).map((e) => {
      const name = e.instancePath.replace(/^\//, '');
      const setting = Object.values(SETTINGS).find((s) => s.env === name);
      const value = setting?.secret ? '(value hidden)' : JSON.stringify(original[name]);
      return `${name}=${value} is invalid: expected ${setting?.allowed ?? e.message}`;
    });
    throw new ClarionError('CLARION_ERR_CONFIG_INVALID', `Invalid configuration:\n  ${[...new Set(problems)].join('\n  ')}`);
  }
  const get = <T>(key: keyof typeof SETTINGS) => raw[SETTINGS[key].env] as T;
  const host = get<string>('host');
  const port = get<number>('port');
  const secret = get<string | undefined>('secretKey');
  return {
    port,
    host,
    databaseUrl: get<string | undefined>('databaseUrl'),
    dataDir: path.resolve(get<string>('dataDir')),
    secretKey: secret === undefined ? undefined : decodeSecretKey(secret),
    maxBodyBytes: get<number>('maxBodyBytes'),
    logLevel: get<Config['logLevel']>('logLevel'),
    publicUrl: (get<string | undefined>('publicUrl') ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(/\/+$/, ''),
    workerConcurrency: get<number>('workerConcurrency'),
    workerPollMs: get<number>('workerPollMs'),
    workerLocalQueue: get<number>('workerLocalQueue'),
    workerCompleteBatchMs: get<number>('workerCompleteBatchMs'),
    dbPoolMax: get<number>('dbPoolMax'),
    dbPreparedStatements: get<boolean>('dbPreparedStatements'),
    ingestAllowedOrigin: get<string>('ingestAllowedOrigin'),
    ingestAllowedRate: get<number>('ingestAllowedRate'),
    ingestGroupWindowMs: get<number>('ingestGroupWindowMs'),
    ingestGroupMax: get<number>('ingestGroupMax'),
    ingestQueueMax: get<number>('ingestQueueMax'),
    shutdownTimeoutMs: get<number>('shutdownTimeoutMs'),
    ...retrySettings(env, fromFile, get),
    retryMaxMs: get<number>('retryMaxMs'),
    sendTimeoutMs: get<number>('sendTimeoutMs'),
    circuitThreshold: get<number>('circuitThreshold'),
    circuitHalfOpenMs: get<number>('circuitHalfOpenMs'),
    workerDeadAfterMs: get<number>('workerDeadAfterMs'),
    defaultSandbox: get<boolean | undefined>('defaultSandbox') ?? get<string | undefined>('databaseUrl') === undefined,
    cacheTtlMs: get<number>('cacheTtlMs'),
    metricsToken: get<string | undefined>('metricsToken'),
    metricsTenantLabels: get<boolean>('metricsTenantLabels'),
    embeddedPostgresSettings: (get<string | undefined>('embeddedPostgresSettings') ?? '').split(/\s+/).filter(Boolean),
    inboxHeartbeatMs: get<number>('inboxHeartbeatMs'),
    inboxMaxBufferBytes: get<number>('inboxMaxBufferBytes'),
    inboxChangesKeepHours: get<number>('inboxChangesKeepHours'),
    ...retentionSettings(get),
    topicPageSize: get<number>('topicPageSize'),
    attachmentFetchTimeoutMs: get<number>('attachmentFetchTimeoutMs'),
    topicStreams: get<number>('topicStreams'),
    inboxPresenceTtlMs: get<number>('inboxPresenceTtlMs'),
    adapterPackages: (get<string | undefined>('adapterPackages') ?? '').split(',').map((p) => p.trim()).filter(Boolean),
    adminSessionTtlMs: get<number>('adminSessionTtlMs'),
    adminLiveMs: get<number>('adminLiveMs'),
    amqpUrl: get<string | undefined>('amqpUrl'),
    amqpQueue: get<string>('amqpQueue'),
    amqpDeadLetterQueue: get<string | undefined>('amqpDeadLetterQueue') ?? `${get<string>('amqpQueue')}.dead`,
    amqpPrefetch: get<number>('amqpPrefetch'),
    amqpDeclare: get<boolean>('amqpDeclare'),
    amqpTenant: get<string | undefined>('amqpTenant')?.toLowerCase(),
    ...webhookSettings(get),
    ...outboundSettings(get),
    deprecations: [...new Set(deprecations)],
  };
}

/** Retention: the default within the maximum, and rollups kept at least as long as any tenant's rows. */
function retentionSettings(get: <T>(key: keyof typeof SETTINGS) => T): Pick<Config, 'retentionDays' | 'retentionMaxDays' | 'analyticsRetentionDays' | 'retentionBatch'> {
  const retentionDays = get<number>('retentionDays');
  const retentionMaxDays = get<number>('retentionMaxDays');
  const analyticsRetentionDays = get<number>('analyticsRetentionDays');
  const problems: string[] = [];
  if (retentionDays > retentionMaxDays) problems.push(`CLARION_RETENTION_DAYS=${retentionDays} is invalid: expected at most CLARION_RETENTION_MAX_DAYS (${retentionMaxDays})`);
  if (analyticsRetentionDays < retentionMaxDays) problems.push(`CLARION_ANALYTICS_RETENTION_DAYS=${analyticsRetentionDays} is invalid: expected at least CLARION_RETENTION_MAX_DAYS (${retentionMaxDays}), so figures outlive the rows`);
  if (problems.length > 0) throw new ClarionError('CLARION_ERR_CONFIG_INVALID', `Invalid configuration:\n  ${problems.join('\n  ')}`);
  return { retentionDays, retentionMaxDays, analyticsRetentionDays, retentionBatch: get<number>('retentionBatch') };
}

const PRIORITY_NAMES = ['low', 'normal', 'high', 'critical'] as const;

/** The retry schedules (one variable per priority) and the fallback waits. */
function retrySettings(env: Env, fromFile: Record<string, unknown>, get: <T>(key: keyof typeof SETTINGS) => T): Pick<Config, 'retrySchedules' | 'retryScale' | 'fallbackAfterMs'> {
  const problems: string[] = [];
  const retrySchedules = {} as Config['retrySchedules'];
  for (const priority of PRIORITY_NAMES) {
    const name = `CLARION_RETRY_SCHEDULE_${priority.toUpperCase()}`;
    const given = env[name] || (fromFile[name] as string | undefined);
    const schedule = parseSchedule(given ?? DEFAULT_RETRY_SCHEDULES[priority]);
    if (!schedule) problems.push(`${name}=${JSON.stringify(given)} is invalid: expected ${SETTINGS.retrySchedules.allowed}`);
    else retrySchedules[priority] = schedule;
  }
  const fallbackText = get<string>('fallbackAfterMs');
  const fallbackAfterMs = parseFallbackAfter(fallbackText);
  if (!fallbackAfterMs) problems.push(`CLARION_FALLBACK_AFTER=${JSON.stringify(fallbackText)} is invalid: expected ${SETTINGS.fallbackAfterMs.allowed}`);
  if (problems.length > 0) throw new ClarionError('CLARION_ERR_CONFIG_INVALID', `Invalid configuration:\n  ${problems.join('\n  ')}`);
  return { retrySchedules, retryScale: get<number>('retryScale'), fallbackAfterMs: fallbackAfterMs! };
}

function outboundSettings(get: <T>(key: keyof typeof SETTINGS) => T): Pick<Config, 'outboundAllowPrivate' | 'outboundAllowList' | 'secretRefs'> {
  const allowText = get<string | undefined>('outboundAllowList') ?? '';
  const allowList = allowText.split(',').map((e) => e.trim()).filter(Boolean);
  try {
    parseAllowList(allowList);
  } catch (err) {
    throw new ClarionError('CLARION_ERR_CONFIG_INVALID', `Invalid configuration:\n  CLARION_OUTBOUND_ALLOWLIST=${JSON.stringify(allowText)} is invalid: ${(err as Error).message}`);
  }
  const refsText = get<string | undefined>('secretRefs') ?? '';
  const secretRefs = refsText.split(',').map((e) => e.trim()).filter(Boolean);
  const badRef = secretRefs.find((p) => secretRefProblem(p) !== undefined);
  if (badRef) throw new ClarionError('CLARION_ERR_CONFIG_INVALID', `Invalid configuration:\n  CLARION_SECRET_REFS=${JSON.stringify(refsText)} is invalid: ${secretRefProblem(badRef)}`);
  return {
    outboundAllowPrivate: get<boolean | undefined>('outboundAllowPrivate') ?? get<string | undefined>('databaseUrl') === undefined,
    outboundAllowList: allowList,
    secretRefs,
  };
}

/** Why a CLARION_SECRET_REFS pattern is unusable, or undefined. */
function secretRefProblem(pattern: string): string | undefined {
  const match = /^(env|file):(.+)$/.exec(pattern);
  if (!match) return `"${pattern}" must start with env: or file:`;
  if (match[1] === 'env' && !/^[A-Za-z0-9_*{}]+$/.test(match[2])) return `"${pattern}": an env: pattern holds letters, digits, _, * and {tenant}`;
  if (match[1] === 'file' && (!match[2].startsWith('/') || match[2].split('/').some((part) => part === '..' || part === '.'))) return `"${pattern}": a file: pattern is an absolute path without . or .. segments`;
  if (/\{(?!tenant\})/.test(match[2])) return `"${pattern}": the only placeholder is {tenant}`;
  return undefined;
}

function webhookSettings(get: <T>(key: keyof typeof SETTINGS) => T): Pick<Config, 'webhookRetrySchedule' | 'webhookRetryScale'> {
  const invalid = (key: keyof typeof SETTINGS, value: unknown) =>
    new ClarionError('CLARION_ERR_CONFIG_INVALID', `Invalid configuration:\n  ${SETTINGS[key].env}=${JSON.stringify(value)} is invalid: expected ${SETTINGS[key].allowed}`);
  const scheduleText = get<string>('webhookRetrySchedule');
  const schedule = parseSchedule(scheduleText);
  if (!schedule) throw invalid('webhookRetrySchedule', scheduleText);
  return {
    webhookRetrySchedule: schedule,
    webhookRetryScale: get<number>('webhookRetryScale'),
  };
}

export function decodeSecretKey(value: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  if (key.length !== 32) {
    throw new ClarionError('CLARION_ERR_CONFIG_INVALID', `CLARION_SECRET_KEY is invalid: expected ${SETTINGS.secretKey.allowed}`);
  }
  return key;
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ClarionError('CLARION_ERR_CONFIG_INVALID', `CLARION_CONFIG_FILE=${file} cannot be read: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ClarionError('CLARION_ERR_CONFIG_INVALID', `CLARION_CONFIG_FILE=${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ClarionError('CLARION_ERR_CONFIG_INVALID', `CLARION_CONFIG_FILE=${file} must hold a JSON object of VARIABLE: value pairs`);
  }
  const known = new Set(Object.values(SETTINGS).flatMap((s) => [s.env, ...(s.aliases ?? []), ...(s.deprecated ?? []), ...(s.related ?? [])]));
  const unknown = Object.keys(parsed).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    throw new ClarionError('CLARION_ERR_CONFIG_INVALID', `CLARION_CONFIG_FILE=${file} has unknown settings: ${unknown.join(', ')} (allowed: ${[...known].join(', ')})`);
  }
  return parsed as Record<string, unknown>;
}

/** Names and descriptions of every setting, for `clarion config` and the docs. */
export function describeSettings(): Array<{ env: string; allowed: string; default: unknown }> {
  return Object.values(SETTINGS).flatMap((s) => [s.env, ...(s.related ?? [])].map((env) => ({ env, allowed: s.allowed, default: s.schema.default })));
}

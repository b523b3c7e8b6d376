import { audit as writeAudit } from '../db/repositories/audit-log.ts';
import type { OutboundPolicy } from '@clarion/adapter-kit';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { TtlCache } from '../cache.ts';
import type { Config } from '../config.ts';
import { seal, unseal, type Sealed } from '../crypto.ts';
import { ClarionError } from '../errors.ts';
import type { EndpointView } from './views.ts';
import type { TRIGGERS } from './schemas.ts';
import { type Clock } from '../kernel/clock.ts';

/** What the parts of the webhook hub share. */
export interface WebhookContext {
  knex: Knex;
  config: Config;
  clock: Clock;
  log: Logger;
  /** The operator's outbound network policy: every attempt goes through its fetch. */
  outbound: OutboundPolicy;
  /** How long one attempt may take, until the response body is read. */
  timeoutMs: number;
  /** Random numbers for the retry jitter. */
  random: () => number;
  /**
   * The tenants' enabled endpoints and their filters, cached so that emitting to a tenant without
   * a matching endpoint costs no query (every change announces 'webhook_endpoints' with the
   * tenant id). Only ever used to skip work: the endpoints a message goes to are read inside the
   * emitting transaction.
   */
  endpointCache: TtlCache<Array<{ id: string; event_types: string[] | null }>>;
  /** Told after an endpoint was disabled automatically (set on the service). */
  endpointDisabled(endpoint: EndpointView): Promise<void>;
}

export const DELIVER_TASK = 'deliver_webhook';
/** Graphile retries of one job after an unexpected error (database down...), not HTTP attempts. */
export const JOB_MAX_ATTEMPTS = 5;
/** Response bodies are stored up to this many bytes. */
export const MAX_RESPONSE_BYTES = 20 * 1024;

export type Trigger = (typeof TRIGGERS)[number];

export interface DeliverJob {
  tenantId: string;
  messageId: string;
  /** Attempt number within this generation (index into the retry schedule, 1-based). */
  attempt: number;
  /** The message's generation this job belongs to; a replay or recovery starts a new one. */
  generation: number;
  trigger: Trigger;
  /** The rate limiter already gave this job its slot. */
  slotReserved?: boolean;
}

/** Adds the delivery job of one message in the caller's transaction (one pending job per message). */
export async function queueDelivery(trx: Knex, job: DeliverJob, runAt: Date | null): Promise<void> {
  await trx.raw(`select graphile_worker.add_job(?, ?::json, run_at => ?::timestamptz, job_key => ?, max_attempts => ?)`, [
    DELIVER_TASK,
    JSON.stringify(job),
    runAt,
    `webhook:${job.messageId}`,
    JOB_MAX_ATTEMPTS,
  ]);
}

function key(config: Config): Buffer {
  if (!config.secretKey) {
    throw new ClarionError('CLARION_ERR_CONFIG_INVALID', 'CLARION_SECRET_KEY is not available: webhook signing secrets cannot be encrypted or read');
  }
  return config.secretKey;
}

export function sealSecret(config: Config, secret: string): Sealed {
  return seal(key(config), secret);
}

export function unsealSecret(config: Config, sealed: unknown): string {
  return unseal<string>(key(config), sealed as Sealed);
}

export function audit(
  trx: Knex,
  entry: { tenantId: string; actor: string; action: string; targetType: string; targetId: string; summary?: Record<string, unknown> },
): Promise<void> {
  return writeAudit(trx, entry.tenantId, entry.actor, entry.action, entry.targetId, entry.summary ?? {}, entry.targetType);
}

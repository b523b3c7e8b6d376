import type { Channel, Priority, RenderedContent, SendResult } from '@clarion/adapter-kit';
import { DeliveryError, TransientError, excerpt } from '@clarion/adapter-kit';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { audit } from '../db/repositories/audit-log.ts';
import { insertDeliveries, recordAttempt, recordSuccess, scheduleSend, updateDelivery, type SuccessRecord } from '../db/repositories/deliveries.ts';
import { whileUnavailable } from '../db/unavailable.ts';
import type { DeliveryRow, NotificationRow } from '../db/repositories/rows.ts';
import { deliveriesFinished, deliveryAttempts, notificationsTotal } from '../metrics.ts';
import { ANNOUNCED_NOTIFICATION, emitNotification, refreshStatus } from '../notifications/status.ts';
import type { DecisionRecord } from '../pipeline/types.ts';
import type { Workflow } from '../workflows/service.ts';
import type { Breakers } from './breakers.ts';
import type { DeliveryContext } from './context.ts';
import { costOf } from './cost.ts';
import { nextStep, whileDown } from './policy.ts';
import type { ProviderRecord } from './providers.ts';
import type { Senders } from './senders.ts';
import { SuccessWrites } from './success-writes.ts';

/**
 * What an attempt leaves behind, and what comes after it: the attempt recorded, the delivery and
 * the notification's status moved, the provider's error kept on it, and the policy's next step
 * carried out (a retry, the next provider, the fallback channels, a dead letter). policy.ts
 * decides; this file writes.
 */

export interface AttemptInput {
  delivery: DeliveryRow;
  notification: NotificationRow;
  workflow: Workflow | undefined;
  provider: ProviderRecord | undefined;
  result?: SendResult;
  error?: DeliveryError;
  startedAt: Date;
  durationMs: number;
  dlog: Logger;
  content?: RenderedContent;
  /** The recipient's number, for a price by country (`price.byPrefix`). */
  phone?: string | null;
  /** The call was the probe of a half-open circuit. */
  probe?: boolean;
  /** What the message was rendered as, when it was (kept on the delivery for analytics). */
  rendered?: { locale: string; variant?: string | null };
}

/** Channels a plugin ruled out (opt-outs, caps): a fallback must not bring them back. */
export function blockedChannels(decisions: unknown): Channel[] {
  if (!Array.isArray(decisions)) return [];
  return (decisions as DecisionRecord[]).flatMap((d) => {
    const blocked = d.details?.blocked;
    return Array.isArray(blocked) ? (blocked as Channel[]) : [];
  });
}

/** Channels the workflow falls back to from this one, minus those the pipeline ruled out. */
export function fallbackChannels(workflow: Workflow | undefined, notification: Pick<NotificationRow, 'decisions'>, channel: Channel): Channel[] {
  const blocked = blockedChannels(notification.decisions);
  return (workflow?.fallbacks?.[channel] ?? []).filter((c) => c !== channel && !blocked.includes(c));
}

/** How long a send the provider accepted waits for the database to record it, before its job fails (and, run again, sends it again). */
export const SUCCESS_RECORD_WAIT_MS = 60_000;

export function toDeliveryError(err: unknown): DeliveryError {
  if (err instanceof DeliveryError) return err;
  const e = err as { name?: string; message?: string };
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError') return new TransientError(e.message ?? 'aborted', { code: 'timeout', cause: err });
  return new TransientError(e?.message ?? String(err), { code: 'adapter_error', cause: err });
}

export class Attempts {
  readonly #ctx: DeliveryContext;
  readonly #senders: Senders;
  readonly #breakers: Breakers;
  readonly #successes: SuccessWrites;

  constructor(ctx: DeliveryContext, senders: Senders, breakers: Breakers) {
    this.#ctx = ctx;
    this.#senders = senders;
    this.#breakers = breakers;
    this.#successes = new SuccessWrites(ctx.knex);
  }

  /** An attempt's outcome: a success, or a failure and whatever the policy says comes next. */
  async finish(input: AttemptInput): Promise<void> {
    const { delivery, provider, error } = input;
    const channel = delivery.channel;
    const adapter = provider?.adapter ?? null;
    deliveryAttempts.inc({ channel, adapter: adapter ?? 'none', outcome: error ? error.errorClass : 'success' });
    if (!error) await this.#success(input);
    else await this.#failure(input, error);
  }

  /**
   * A successful attempt: one statement on the hot path, shared with the successes that finish
   * beside it (success-writes.ts); a transaction of its own is opened only when there is more to
   * write: a status webhook some endpoint takes, or device tokens the provider reported invalid.
   */
  async #success(input: AttemptInput): Promise<void> {
    const { knex, clock } = this.#ctx;
    const { delivery, notification, provider, dlog } = input;
    const result = input.result!;
    const channel = delivery.channel;
    const adapter = provider?.adapter ?? null;
    const providerId = provider && !provider.id.includes(':') ? provider.id : null;
    const attempt = delivery.attempt_count + 1;
    const status = result.status === 'delivered' ? 'delivered' : 'sent';
    const devices = (result.invalidDestinations ?? []).filter((d) => d.kind === 'device').map((d) => d.value);
    const hub = this.#ctx.webhooks();
    const cost = costOf(channel, result, provider?.price, input.content, input.phone);
    // `batched`: no transaction needed, the statement is shared with the successes beside it.
    const write = async (db: Knex, batched: boolean) => {
      const changed = await (batched ? this.#successes.write.bind(this.#successes) : (record: SuccessRecord) => recordSuccess(db, record))({
        tenantId: delivery.tenant_id, deliveryId: delivery.id, notificationId: notification.id, attempt, providerId, adapter,
        providerMessageId: result.providerMessageId ?? null,
        response: excerpt(result.response ?? (result.details ? JSON.stringify(result.details) : undefined)) ?? null,
        startedAt: input.startedAt, durationMs: input.durationMs, status, now: clock.now(),
        // Every channel's content is kept (the in-app copy lives in the inbox).
        content: input.content && channel !== 'in_app' ? JSON.stringify({ [channel]: input.content }) : null,
        locale: input.rendered?.locale ?? null, variant: input.rendered?.variant ?? null,
        cost: cost?.cost ?? null, currency: cost?.currency ?? null,
      });
      for (const device of devices) if (notification.subscriber_id) await this.#ctx.subscribers.removeDevice(db, notification.subscriber_id, device);
      if (changed && changed.before !== changed.after) {
        notificationsTotal.inc({ status: changed.after });
        if ((ANNOUNCED_NOTIFICATION as readonly string[]).includes(changed.after)) {
          await emitNotification(hub, db, delivery.tenant_id, `io.clarion.notification.${changed.after}`, notification.id, { workflow: changed.workflow_key, subscriberId: changed.external_id ?? null, status: changed.after });
        }
      }
    };
    const persist = async () => {
      const webhooks = hub ? (await Promise.all(ANNOUNCED_NOTIFICATION.map((s) => hub.subscribed(delivery.tenant_id, `io.clarion.notification.${s}`)))).some(Boolean) : false;
      if (webhooks || devices.length > 0) await knex.transaction((trx) => write(trx, false));
      else await write(knex, true);
    };
    // The provider has the message: if its record is lost to a database outage, the job runs again
    // and sends it again. Waiting for the database (up to SUCCESS_RECORD_WAIT_MS) spares that.
    await whileUnavailable(persist, {
      maxMs: SUCCESS_RECORD_WAIT_MS,
      onRetry: (err, n) => n === 1 && dlog.warn({ err: { message: (err as Error).message } }, 'the provider took the message but the database is unavailable: recording it once the database answers'),
    });
    deliveriesFinished.inc({ channel, adapter: adapter ?? 'none', status });
    dlog.info({ adapter, attempt, providerMessageId: result.providerMessageId }, 'delivery sent');
  }

  async #failure(input: AttemptInput, error: DeliveryError): Promise<void> {
    const { knex, clock } = this.#ctx;
    const { delivery, notification, workflow, provider, dlog } = input;
    const attempt = delivery.attempt_count + 1;
    const priority = notification.priority as Priority;
    const channel = delivery.channel;
    const adapter = provider?.adapter ?? null;
    const providerId = provider && !provider.id.includes(':') ? provider.id : null;
    const now = clock.now();
    // Read before the transaction (one connection at a time): the providers still to try after
    // this one, and where the workflow falls back to.
    const tried = [...delivery.providers_tried, ...(provider ? [provider.id] : [])];
    const remaining = provider ? (await this.#senders.candidates(delivery.tenant_id, channel, tried)).length : 0;
    const fallbacks = fallbackChannels(workflow, notification, channel);
    const failingSince = delivery.failing_since ? new Date(delivery.failing_since) : null;
    const step = nextStep(this.#ctx.policy, { errorClass: error.errorClass, scope: error.scope, retryAfterMs: error.retryAfterMs, probe: input.probe }, {
      priority, providerAttempts: delivery.provider_attempts, failingSince, now, remainingProviders: remaining, hasFallback: fallbacks.length > 0, retryOriginal: workflow?.retryOriginal === true,
    });

    await knex.transaction(async (trx) => {
      await recordAttempt(trx, {
        tenantId: delivery.tenant_id, deliveryId: delivery.id, attempt, providerId, adapter, outcome: error.errorClass, errorCode: error.code ?? null,
        errorScope: error.errorClass === 'permanent' ? error.scope : null, errorMessage: error.message, response: excerpt(error.response) ?? null,
        probe: input.probe === true, startedAt: input.startedAt, durationMs: input.durationMs,
      });
      // Every provider error is kept on that provider, whatever comes next, so a broken provider
      // is visible even when the next one delivered; configuration errors and refusals are audited.
      if (providerId) await this.#ctx.providers.recordError(trx, providerId, error.message, now);
      if (error.errorClass === 'config') {
        await audit(trx, delivery.tenant_id, 'system', 'provider.config_error', providerId, { channel, adapter, code: error.code ?? null, message: error.message }, 'provider');
      } else if (error.errorClass === 'permanent' && error.scope === 'provider' && providerId) {
        await audit(trx, delivery.tenant_id, 'system', 'provider.refused', providerId, { channel, adapter, code: error.code ?? null, message: error.message }, 'provider');
      }
      await emitNotification(this.#ctx.webhooks(), trx, delivery.tenant_id, 'io.clarion.delivery.attempt_failed', notification.id, {
        deliveryId: delivery.id, channel, adapter, attempt, errorClass: error.errorClass, errorScope: error.errorClass === 'permanent' ? error.scope : null, errorCode: error.code ?? null, message: error.message,
      });
      for (const destination of error.invalidDestinations ?? []) {
        if (destination.kind === 'device' && notification.subscriber_id) await this.#ctx.subscribers.removeDevice(trx, notification.subscriber_id, destination.value);
      }

      const common = {
        attempt_count: attempt, ...(provider ? { provider_config_id: providerId, adapter } : {}), error_class: error.errorClass, error_code: error.code ?? null, error_message: error.message.slice(0, 2000),
        ...(input.rendered ? { locale: input.rendered.locale, ...(input.rendered.variant ? { variant: input.rendered.variant } : {}) } : {}),
      };
      if (step.step === 'retry') {
        await updateDelivery(trx, delivery.id, { ...common, status: 'retrying', provider_attempts: step.providerAttempts, failing_since: step.failingSince, next_attempt_at: step.at });
        await scheduleSend(trx, { tenantId: delivery.tenant_id, deliveryId: delivery.id, runAt: step.at, priority });
        dlog.warn({ adapter, attempt, code: error.code, retryAt: step.at, probe: input.probe === true }, 'transient failure: retrying');
        if (step.fallback) {
          const created = await insertDeliveries(trx, { tenantId: delivery.tenant_id, notificationId: notification.id, channels: fallbacks, fallbackOf: delivery.id });
          if (created.length > 0) dlog.warn({ fallbacks }, 'failing for a while: the fallback channels start, this one keeps retrying');
        }
        return;
      }
      if (step.step === 'next_provider') {
        await updateDelivery(trx, delivery.id, { ...common, status: 'retrying', providers_tried: tried, provider_attempts: 0, failing_since: step.failingSince, next_attempt_at: null });
        await scheduleSend(trx, { tenantId: delivery.tenant_id, deliveryId: delivery.id, runAt: now, priority });
        dlog.warn({ adapter, code: error.code, errorClass: error.errorClass }, 'this provider cannot take it: trying the next provider');
        return;
      }
      const reason = step.reason === 'fallback_engaged' ? `${error.message} (failing since ${(failingSince ?? now).toISOString()}: the fallback channels took over)` : error.message;
      await updateDelivery(trx, delivery.id, {
        ...common, error_message: reason.slice(0, 2000), ...(step.reason === 'fallback_engaged' ? { error_code: 'fallback_engaged' } : {}),
        status: step.status, providers_tried: tried, next_attempt_at: null,
        ...(error.errorClass === 'transient' ? { provider_attempts: delivery.provider_attempts + (input.probe ? 0 : 1) } : {}),
      });
      deliveriesFinished.inc({ channel, adapter: adapter ?? 'none', status: step.status });
      if (step.status === 'dead') {
        await audit(trx, delivery.tenant_id, 'system', 'delivery.dead', delivery.id, { channel, attempts: attempt, code: error.code ?? null }, 'delivery');
        dlog.error({ adapter, attempt, code: error.code }, 'delivery exhausted its attempts: dead letter');
      } else if (error.errorClass === 'config') dlog.error({ adapter, code: error.code }, 'configuration error: fix the provider; not retried');
      else dlog.warn({ adapter, code: error.code, reason: step.reason }, 'delivery failed');
      if (step.fallback) {
        const created = await insertDeliveries(trx, { tenantId: delivery.tenant_id, notificationId: notification.id, channels: fallbacks, fallbackOf: delivery.id });
        if (created.length > 0) dlog.info({ fallbacks }, 'falling back to other channels');
      }
      await refreshStatus(trx, notification.id, this.#ctx.webhooks());
    });
  }

  /**
   * Every provider still to try for this delivery is down (open circuits): with a fallback, the
   * fallback channels take over now (and this delivery waits for the next probe only if the
   * workflow keeps retrying it); without one, it waits for the next probe, spending no attempt, as
   * long as the priority's schedule lasts.
   */
  async allDown(input: { delivery: DeliveryRow; notification: NotificationRow; workflow: Workflow | undefined; candidates: ProviderRecord[]; dlog: Logger }): Promise<void> {
    const { knex, clock } = this.#ctx;
    const { delivery, notification, workflow, candidates, dlog } = input;
    const channel = delivery.channel;
    const now = clock.now();
    const probeAt = new Date(now.getTime() + Math.max(0, Math.min(...candidates.map((p) => this.#breakers.untilProbeMs(p)))));
    const fallbacks = fallbackChannels(workflow, notification, channel);
    const failingSince = delivery.failing_since ? new Date(delivery.failing_since) : null;
    const step = whileDown(this.#ctx.policy, { hasFallback: fallbacks.length > 0, retryOriginal: workflow?.retryOriginal === true, priority: notification.priority, failingSince, now }, probeAt);
    const names = candidates.map((p) => p.adapter).join(', ');
    deliveryAttempts.inc({ channel, adapter: candidates[0].adapter, outcome: 'circuit_open' });
    await knex.transaction(async (trx) => {
      if (step.step === 'dead') {
        const why = `every ${channel} provider has been down since ${failingSince!.toISOString()} (${names}): gave up`;
        await this.#recordCircuitOpen(trx, delivery, candidates, why, now);
        await updateDelivery(trx, delivery.id, { status: 'dead', error_class: 'transient', error_code: 'circuit_open', error_message: why, next_attempt_at: null });
        deliveriesFinished.inc({ channel, adapter: candidates[0].adapter, status: 'dead' });
        await audit(trx, delivery.tenant_id, 'system', 'delivery.dead', delivery.id, { channel, attempts: delivery.attempt_count, code: 'circuit_open' }, 'delivery');
      } else if (step.step === 'wait' || step.wait) {
        const at = step.step === 'wait' ? step.at : step.wait!;
        const why = step.step === 'wait' ? `every ${channel} provider is down (${names}): retrying at ${at.toISOString()}` : `every ${channel} provider is down (${names}): fell back to ${fallbacks.join(', ')}; retrying at ${at.toISOString()}`;
        await this.#recordCircuitOpen(trx, delivery, candidates, why, now);
        await updateDelivery(trx, delivery.id, { status: 'retrying', next_attempt_at: at, failing_since: failingSince ?? now });
        await scheduleSend(trx, { tenantId: delivery.tenant_id, deliveryId: delivery.id, runAt: at, priority: notification.priority });
      } else {
        const why = `every ${channel} provider is down (${names}): fell back to ${fallbacks.join(', ')}`;
        await this.#recordCircuitOpen(trx, delivery, candidates, why, now);
        await updateDelivery(trx, delivery.id, { status: 'failed', error_class: 'transient', error_code: 'circuit_open', error_message: why, next_attempt_at: null });
        deliveriesFinished.inc({ channel, adapter: candidates[0].adapter, status: 'failed' });
      }
      if (step.step === 'fallback') {
        const created = await insertDeliveries(trx, { tenantId: delivery.tenant_id, notificationId: notification.id, channels: fallbacks, fallbackOf: delivery.id });
        if (created.length > 0) dlog.warn({ fallbacks }, 'every provider of the channel is down: falling back at once');
      }
      await refreshStatus(trx, notification.id, this.#ctx.webhooks());
    });
  }

  /**
   * A send found its provider's half-open circuit taken by another send's probe: it waits for the
   * probe's outcome (when the circuit may be tried again), spending no attempt.
   */
  async circuitOpen(input: { delivery: DeliveryRow; provider: ProviderRecord; startedAt: Date; dlog: Logger; priority?: string }): Promise<void> {
    const { knex, config, clock } = this.#ctx;
    const runAt = new Date(clock.now().getTime() + config.circuitHalfOpenMs);
    deliveryAttempts.inc({ channel: input.delivery.channel, adapter: input.provider.adapter, outcome: 'circuit_open' });
    await knex.transaction(async (trx) => {
      await this.#recordCircuitOpen(trx, input.delivery, [input.provider], `circuit open: retrying at ${runAt.toISOString()}`, input.startedAt);
      await updateDelivery(trx, input.delivery.id, { status: 'retrying', next_attempt_at: runAt });
      await scheduleSend(trx, { tenantId: input.delivery.tenant_id, deliveryId: input.delivery.id, runAt, priority: input.priority });
    });
    input.dlog.info({ runAt }, 'circuit open: delivery rescheduled');
  }

  async #recordCircuitOpen(trx: Knex, delivery: DeliveryRow, providers: ProviderRecord[], message: string, startedAt: Date): Promise<void> {
    await recordAttempt(trx, {
      tenantId: delivery.tenant_id,
      deliveryId: delivery.id,
      attempt: delivery.attempt_count,
      providerId: providers.length === 1 && !providers[0].id.includes(':') ? providers[0].id : null,
      adapter: providers.length === 1 ? providers[0].adapter : null,
      outcome: 'circuit_open',
      errorMessage: message,
      startedAt,
      durationMs: 0,
    });
  }
}

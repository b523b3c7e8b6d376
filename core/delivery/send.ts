import type { OutboundMessage, Sender, SendResult } from '@clarion/adapter-kit';
import { ConfigError, DeliveryError, PermanentError, TransientError } from '@clarion/adapter-kit';
import { BrokenCircuitError } from 'cockatiel';
import { scheduleSend, updateDelivery } from '../db/repositories/deliveries.ts';
import { isDatabaseUnavailable } from '../db/unavailable.ts';
import { attemptSeconds } from '../metrics.ts';
import { FINAL_DELIVERY } from '../notifications/status.ts';
import { toDeliveryError, type Attempts } from './attempts.ts';
import type { Breakers } from './breakers.ts';
import type { DeliveryContext } from './context.ts';
import { buildMessage, checkAddress } from './message.ts';
import type { SendContexts } from './send-contexts.ts';
import type { Senders } from './senders.ts';
import { orderByPrice, routingFor } from './routing.ts';
import { SpanKind, withSpan } from '../tracing.ts';

export interface SendOptions {
  /** The job was scheduled for the provider's throughput slot, which it already holds. */
  slotReserved?: boolean;
  /** Sends only a delivery still `pending` (a first send run again sends nothing twice). */
  onlyPending?: boolean;
  /** Runs the provider call when its turn comes: the sends of a batch share the worker's calls in flight. */
  limit?: <T>(call: () => Promise<T>) => Promise<T>;
}

/**
 * `send_delivery` (and each entry of `send_deliveries`): one attempt at one delivery. Everything it needs is read in one round trip; the
 * message is rendered in the subscriber's language; the first provider of the channel whose
 * circuit is not open gets it (waiting for its throughput slot if it has a cap), with the send
 * timeout and the delivery's idempotency key; the outcome goes to `Attempts`, which records it and
 * schedules whatever comes next.
 */
export async function sendDelivery(
  ctx: DeliveryContext,
  parts: { senders: Senders; breakers: Breakers; attempts: Attempts; contexts: SendContexts },
  deliveryId: string,
  tenantId: string,
  options: SendOptions = {},
): Promise<void> {
  const { knex, log, clock, config } = ctx;
  const { senders, breakers, attempts } = parts;
  const loaded = await parts.contexts.load(deliveryId, tenantId);
  if (!loaded || FINAL_DELIVERY.has(loaded.delivery.status)) return;
  // A first send (`send_deliveries`) run again: what came after its attempt has a job of its own.
  if (options.onlyPending && loaded.delivery.status !== 'pending') return;
  const { delivery, notification, event, tenant, subscriber } = loaded;
  const workflow = await ctx.workflows.get(tenantId, notification.workflow_key).catch(() => undefined);
  const channel = delivery.channel;
  const priority = notification.priority;
  const dlog = log.child({ deliveryId, notificationId: notification.id, eventId: event?.id, ceId: event?.ce_id, tenantId, channel });

  // What to send: rendered in the subscriber's language; a template that cannot render is permanent.
  let message: OutboundMessage;
  try {
    if (!subscriber || subscriber.erased_at) throw new PermanentError('the subscriber no longer exists (erased)', { code: 'subscriber_erased' });
    if (!workflow) throw new ConfigError(`workflow ${notification.workflow_key} no longer exists`, { code: 'workflow_missing' });
    checkAddress(channel, subscriber);
    message = await withSpan('clarion.render', { attributes: { 'clarion.channel': channel, 'clarion.workflow': workflow.key, 'clarion.locale': subscriber.locale ?? '' } }, () =>
      buildMessage(ctx, { delivery, notification, subscriber, event, tenant, workflow, channel, priority }),
    );
  } catch (err) {
    // The database, not the template: the job fails and runs again once it answers.
    if (isDatabaseUnavailable(err)) throw err;
    await attempts.finish({ delivery, notification, workflow, provider: undefined, error: toDeliveryError(err), startedAt: clock.now(), durationMs: 0, dlog });
    return;
  }

  const candidates = await senders.candidates(tenantId, channel, delivery.providers_tried);
  if (candidates.length === 0) {
    const configured = (await ctx.providers.forChannel(tenantId, channel)).length > 0;
    const error = new ConfigError(configured ? `every ${channel} provider has failed for good for this delivery` : `no ${channel} provider is configured: add one with POST /v1/providers`, { code: configured ? 'providers_exhausted' : 'no_provider' });
    await attempts.finish({ delivery, notification, workflow, provider: undefined, error, startedAt: clock.now(), durationMs: 0, dlog });
    return;
  }
  // Providers whose circuit is open are skipped; a second provider of the channel takes over at
  // once. When every one is down, a delivery with a fallback falls back now (whileDown).
  const ordered = routingFor(workflow, tenant?.settings) === 'leastCost' ? orderByPrice(candidates, message.to.phone) : candidates;
  const provider = ordered.find((p) => breakers.state(p) !== 'down');
  if (!provider) {
    await attempts.allDown({ delivery, notification, workflow, candidates, dlog });
    return;
  }
  const probe = breakers.state(provider) === 'probe';
  const breaker = breakers.of(provider);
  // The provider's throughput cap: a send waits for its slot (no attempt spent); a job that
  // was scheduled for its slot already holds it.
  if (provider.maxPerSecond && !provider.id.includes(':') && !options.slotReserved) {
    const slot = await ctx.providers.reserveSlot(provider.id, provider.maxPerSecond, clock.now());
    if (slot.getTime() > clock.now().getTime()) {
      await knex.transaction(async (trx) => {
        await updateDelivery(trx, deliveryId, { status: 'retrying', next_attempt_at: slot });
        await scheduleSend(trx, { tenantId, deliveryId, runAt: slot, slot: true, priority });
      });
      dlog.debug({ providerId: provider.id, maxPerSecond: provider.maxPerSecond, runAt: slot }, 'provider throughput cap reached: send waits for its slot');
      return;
    }
  }

  let startedAt = clock.now();
  let started = performance.now();
  let signal: AbortSignal | undefined;
  let result: SendResult;
  let sender: Sender | undefined;
  // A provider's calls in flight are limited (options.limit); the send's timeout starts with the
  // call, not while it waits for its turn. A local adapter's sends are Clarion's own writes.
  const limit = options.limit && !ctx.adapters.get(provider.adapter)?.definition.local ? options.limit : <T>(call: () => Promise<T>) => call();
  try {
    sender = await senders.of(provider);
    const ready = sender;
    // The provider call, as a client span (adapters' own HTTP calls happen inside it).
    result = await limit(() => {
      startedAt = clock.now();
      started = performance.now();
      const timeout = (signal = AbortSignal.timeout(config.sendTimeoutMs));
      return withSpan(
        'clarion.send',
        { kind: SpanKind.CLIENT, attributes: { 'clarion.channel': channel, 'clarion.adapter': provider.adapter, 'clarion.delivery_id': deliveryId } },
        async (span) => {
          const sent = await breaker.execute(() => ready.send(message, { idempotencyKey: delivery.idempotency_key, signal: timeout }), timeout);
          if (sent?.providerMessageId) span.setAttribute('clarion.provider_message_id', sent.providerMessageId);
          return sent;
        },
      );
    });
  } catch (err) {
    // Making the sender reads the provider's configuration: the database being away there fails
    // the job, which runs again; nothing was sent.
    if (!sender && isDatabaseUnavailable(err)) throw err;
    const durationMs = Math.round(performance.now() - started);
    if (err instanceof BrokenCircuitError) {
      // Another send took the probe of this half-open circuit first: wait for its outcome.
      await attempts.circuitOpen({ delivery, provider, startedAt, dlog, priority });
      return;
    }
    attemptSeconds.observe({ channel, adapter: provider.adapter }, durationMs / 1000);
    const error = signal?.aborted && !(err instanceof DeliveryError) ? new TransientError(`the provider did not answer within ${config.sendTimeoutMs} ms`, { code: 'timeout', cause: err }) : toDeliveryError(err);
    if (!(err instanceof DeliveryError)) dlog.error({ err }, 'adapter threw something other than a DeliveryError; treated as transient');
    await attempts.finish({ delivery, notification, workflow, provider, error, startedAt, durationMs, dlog, probe, rendered: { locale: message.locale, variant: message.variant ?? null } });
    return;
  }
  // The provider has the message: only recording it is left, outside the provider's try (a
  // database error here is no failure of the provider's, and must not be taken for one).
  const durationMs = Math.round(performance.now() - started);
  attemptSeconds.observe({ channel, adapter: provider.adapter }, durationMs / 1000);
  await attempts.finish({ delivery, notification, workflow, provider, result, startedAt, durationMs, dlog, content: message.content, phone: message.to.phone, rendered: { locale: message.locale, variant: message.variant ?? null } });
}

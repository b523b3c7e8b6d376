import { bulkhead } from 'cockatiel';
import type { Task } from 'graphile-worker';
import type { Services } from '../services.ts';
import { contextOf, SpanKind, withSpan } from '../tracing.ts';
import { payloadChecker } from './payload.ts';
import { sendDeliveriesPayload } from './payloads.ts';

const check = payloadChecker('send_deliveries', sendDeliveriesPayload);

/**
 * The first attempts of deliveries created together (one fan-out statement, one topic page), as
 * one graphile-worker "batch job": one job added, locked and completed for up to SEND_BATCH (deliveries.ts)
 * deliveries instead of one each. The sends of a batch all start at once: their reads and their
 * writes share statements (send-contexts.ts, success-writes.ts, the in-app puts:
 * realtime/inbox-writes.ts), and only their provider calls wait for a turn, at most
 * CLARION_WORKER_CONCURRENCY at once across the batches of the process. The task returns one
 * promise per entry, so graphile-worker keeps only the entries that failed (an unexpected error:
 * the database away) in the job it retries; the others are done.
 *
 * Only a delivery still `pending` is sent: whatever comes after a first attempt (a retry, the
 * next provider, a slot wait) has its own `send_delivery` job, and a delivery already sent is
 * final. So a batch run again (its worker killed mid-batch, its completion lost) sends nothing
 * twice that it had recorded; a send the provider took whose record was lost is sent again, with
 * the same idempotency key, as a `send_delivery` job would be.
 *
 * Each entry is a span of its own, `clarion.job.send_delivery`, continuing the trace of the
 * fan-out that queued it (its `traceparent`), as a `send_delivery` job's span does.
 */
export function sendDeliveries(services: Services): Task {
  // The provider calls of every batch of this process share CLARION_WORKER_CONCURRENCY turns: as
  // many as that many `send_delivery` jobs would make, so a provider (an SMTP pool, a rate) is
  // never asked for a hundred sends at once per job, nor a send's timeout spent in a queue.
  const inFlight = bulkhead(services.config.workerConcurrency, Number.POSITIVE_INFINITY);
  const limit = <T>(call: () => Promise<T>) => inFlight.execute(call);
  return (payload, helpers) => {
    const entries = check(payload);
    const results = entries.map((entry) =>
      withSpan(
        'clarion.job.send_delivery',
        { kind: SpanKind.CONSUMER, parent: contextOf(entry.traceparent), attributes: { 'messaging.system': 'graphile_worker', 'messaging.operation.name': 'send_deliveries', 'clarion.job.id': helpers.job.id, 'clarion.job.attempt': helpers.job.attempts, 'clarion.delivery_id': entry.deliveryId } },
        () => services.delivery.sendDelivery(entry.deliveryId, entry.tenantId, { onlyPending: true, limit }),
      ),
    );
    // graphile-worker settles them as soon as the task returns; this keeps a rejection from
    // counting as unhandled meanwhile.
    for (const result of results) result.catch(() => {});
    return results;
  };
}

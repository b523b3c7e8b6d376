import type { Task } from 'graphile-worker';
import type { Services } from '../services.ts';
import { contextOf, SpanKind, tracingEnabled, withSpan } from '../tracing.ts';
import { payloadChecker } from './payload.ts';
import { processEventsPayload } from './payloads.ts';

const check = payloadChecker('process_events', processEventsPayload);

/**
 * The fan-outs of events stored together (one group commit, one batch POST: core/ingest/service.ts),
 * as one graphile-worker "batch job": one job added, locked and completed for up to 100 events.
 * The events that take the one-statement path are fanned out by one statement for all of them (one
 * read of the events, one write of their claims, subscribers, notifications, deliveries and the
 * `send_deliveries` jobs of their first sends: core/notifications/fan-out.ts); the others go
 * through the transaction path one by one. The task returns one promise per entry, so
 * graphile-worker keeps only the entries that failed in the job it retries. An event is claimed
 * only while it is neither processed nor cancelled: a batch run again (its worker killed, its
 * completion lost) creates nothing twice.
 *
 * With tracing on, each entry is fanned out on its own, in a `clarion.job.process_event` span
 * continuing the trace of the request that stored it (its `traceparent`), as a `process_event`
 * job's is: the jobs its fan-out queues then carry its own trace, not one shared by the batch.
 */
export function processEvents(services: Services): Task {
  return (payload, helpers) => {
    const entries = check(payload);
    let results: Array<Promise<unknown>>;
    if (tracingEnabled()) {
      // One after the other: a batch holds one connection at a time, as its shared statement does.
      let turn: Promise<unknown> = Promise.resolve();
      results = entries.map((entry) => {
        const result = turn.then(() =>
          withSpan(
            'clarion.job.process_event',
            { kind: SpanKind.CONSUMER, parent: contextOf(entry.traceparent), attributes: { 'messaging.system': 'graphile_worker', 'messaging.operation.name': 'process_events', 'clarion.job.id': helpers.job.id, 'clarion.job.attempt': helpers.job.attempts, 'clarion.event_id': entry.eventId } },
            () => services.notifications.processEvent(entry.eventId, entry.tenantId, entry.type),
          ),
        );
        turn = result.catch(() => {});
        return result;
      });
    } else {
      results = services.notifications.processEvents(entries);
    }
    // graphile-worker settles them as soon as the task returns; this keeps a rejection from
    // counting as unhandled meanwhile.
    for (const result of results) result.catch(() => {});
    return results;
  };
}

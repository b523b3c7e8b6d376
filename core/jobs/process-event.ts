import type { Task } from 'graphile-worker';
import type { Services } from '../services.ts';
import { payloadChecker } from './payload.ts';

export interface ProcessEventPayload {
  eventId: string;
  tenantId: string;
}

const check = payloadChecker<ProcessEventPayload>('process_event', {
  type: 'object',
  required: ['eventId', 'tenantId'],
  properties: { eventId: { type: 'string', minLength: 36, maxLength: 36 }, tenantId: { type: 'string', minLength: 36, maxLength: 36 } },
});

/**
 * Picks up a stored event. Fan-out to notifications comes with the workflows of the delivery
 * engine; for now the event is marked processed so its status shows it was picked up.
 */
export function processEvent(services: Services): Task {
  return async (payload, helpers) => {
    const { eventId, tenantId } = check(payload);
    const event = await services.knex('events').where({ id: eventId, tenant_id: tenantId }).first('id', 'ce_id', 'source', 'type', 'status');
    const log = services.log.child({ task: 'process_event', jobId: helpers.job.id, eventId, ceId: event?.ce_id, tenantId });
    if (!event) {
      log.warn('event no longer exists; nothing to do');
      return;
    }
    await services.knex('events')
      .where({ id: eventId, tenant_id: tenantId })
      .update({ status: 'processed', processed_at: services.clock.now(), error: null });
    log.info({ type: event.type }, 'event processed');
  };
}

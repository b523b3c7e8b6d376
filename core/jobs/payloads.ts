import { StringEnum, Type, type Static } from '../kernel/schema.ts';

/**
 * The payload of each engine task, defined once with TypeBox (core/kernel/schema.ts): the task's
 * handler checks what it gets with the schema (`payloadChecker`, a job queued by an older version
 * or by hand fails loudly), and its static type is what `GraphileWorker.Tasks` declares
 * (core/jobs/tasks.ts), so every enqueue names a known task with the payload it takes. In one file
 * beside tasks.ts rather than in each task's file: those import the services, which enqueue.
 */

const UUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
/** A row id, its hexadecimal form checked. */
const uuid = () => Type.String({ pattern: UUID });
/** A row id, its length checked (the tasks that did so before keep doing so). */
const id = () => Type.String({ minLength: 36, maxLength: 36 });

export const processEventPayload = Type.Object({
  eventId: id(),
  tenantId: id(),
  type: Type.Optional(Type.String({ minLength: 1, description: "The event's type (jobs queued by older versions lack it)" })),
});
export type ProcessEventPayload = Static<typeof processEventPayload>;

/** A batch job: the fan-outs of events stored together (core/jobs/process-events.ts). */
export const processEventsPayload = Type.Array(
  Type.Object({ eventId: id(), tenantId: id(), type: Type.String({ minLength: 1 }), traceparent: Type.Optional(Type.String({ maxLength: 100 })) }),
  { minItems: 1, maxItems: 1000 },
);
export type ProcessEventsPayload = Static<typeof processEventsPayload>;

export const fanOutTopicPayload = Type.Object({ fanOutId: id(), tenantId: id() });
export type FanOutTopicPayload = Static<typeof fanOutTopicPayload>;

export const sendDeliveryPayload = Type.Object({
  deliveryId: id(),
  tenantId: id(),
  slot: Type.Optional(Type.Boolean({ description: 'Scheduled for the throughput slot it already holds' })),
});
export type SendDeliveryPayload = Static<typeof sendDeliveryPayload>;

/** A batch job: the first sends of deliveries created together (core/jobs/send-deliveries.ts). */
export const sendDeliveriesPayload = Type.Array(Type.Object({ deliveryId: id(), tenantId: id(), traceparent: Type.Optional(Type.String({ maxLength: 100 })) }), { minItems: 1, maxItems: 1000 });
export type SendDeliveriesPayload = Static<typeof sendDeliveriesPayload>;

export const dispatchNotificationPayload = Type.Object({ notificationId: id(), tenantId: id() });
export type DispatchNotificationPayload = Static<typeof dispatchNotificationPayload>;

export const escalateNotificationPayload = Type.Object({ notificationId: uuid(), tenantId: uuid(), step: Type.Integer({ minimum: 0, maximum: 20 }) });
export type EscalateNotificationPayload = Static<typeof escalateNotificationPayload>;

export const runWorkflowStepPayload = Type.Object({ notificationId: uuid(), tenantId: uuid(), step: Type.Integer({ minimum: 0, maximum: 100 }) });
export type RunWorkflowStepPayload = Static<typeof runWorkflowStepPayload>;

export const fireSchedulePayload = Type.Object({ scheduleId: uuid(), tenantId: uuid(), occurrence: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$' }) });
export type FireSchedulePayload = Static<typeof fireSchedulePayload>;

/** One webhook message's delivery job (core/webhooks/context.ts `DeliverJob` is this shape). */
export const deliverWebhookPayload = Type.Object({
  tenantId: uuid(),
  messageId: uuid(),
  attempt: Type.Integer({ minimum: 1, maximum: 100, description: 'Attempt number within this generation (index into the retry schedule, 1-based)' }),
  generation: Type.Integer({ minimum: 1, description: "The message's generation this job belongs to; a replay or recovery starts a new one" }),
  trigger: StringEnum(['event', 'retry', 'replay', 'recover']),
  slotReserved: Type.Optional(Type.Boolean({ description: 'The rate limiter already gave this job its slot' })),
});
export type DeliverWebhookPayload = Static<typeof deliverWebhookPayload>;

export const unsnoozeInboxItemPayload = Type.Object({ itemId: uuid(), tenantId: uuid() });
export type UnsnoozeInboxItemPayload = Static<typeof unsnoozeInboxItemPayload>;

/** The payload of a crontab task: nothing. */
export type NoPayload = Record<string, never>;

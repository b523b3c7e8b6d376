import { CHANNELS } from '@clarion/adapter-kit';
import { AnyObject, DateTime, Nullable, NullableDateTime, NullableString, StringEnum, Type, Uuid, type Static } from '../../kernel/schema.ts';
import { DELIVERY_STATUSES, NOTIFICATION_STATUSES } from '../../notifications/status.ts';

/**
 * The read side's answers (views.ts), once: the views are typed by these schemas, and the
 * OpenAPI document (core/delivery/openapi.ts) references them, so a field added to a view and
 * not to its schema fails typecheck, and a test response that differs fails its test.
 */

const channel = StringEnum(CHANNELS);

export const decisionViewSchema = Type.Object({
  plugin: Type.String(),
  decision: StringEnum(['continue', 'suppress', 'defer', 'batch', 'schedule']),
  reason: Type.Optional(Type.String()),
  at: Type.String(),
});

export const notificationViewSchema = Type.Object({
  id: Uuid(),
  eventId: Uuid(),
  subscriberId: Nullable(Type.String(), { description: 'null once the subscriber was erased' }),
  workflow: Type.String(),
  priority: StringEnum(['low', 'normal', 'high', 'critical']),
  status: StringEnum(NOTIFICATION_STATUSES, { description: 'Rolled up from its deliveries: partially_delivered when some channels reached the recipient and the others failed for good' }),
  channels: Type.Array(channel),
  decisions: Type.Array(decisionViewSchema, { description: 'What each pipeline plugin decided, in order' }),
  scheduledFor: NullableDateTime(),
  seenAt: NullableDateTime(),
  readAt: NullableDateTime(),
  acknowledgedAt: NullableDateTime(),
  openedAt: NullableDateTime({ description: 'The first genuine open on any channel (tracking pixel, provider open event, read receipt; a click implies it); machine prefetches do not count' }),
  clickedAt: NullableDateTime({ description: 'The first genuine click on any channel' }),
  digestId: Nullable(Uuid(), { description: 'The digest this notification was batched into' }),
  escalation: Nullable(AnyObject(), { description: 'Escalation steps and their state (`steps[].status`: pending, fired, cancelled), or the parent a step was made for' }),
  createdAt: DateTime(),
  updatedAt: DateTime(),
});
export type NotificationView = Static<typeof notificationViewSchema>;

export const deliveryViewSchema = Type.Object({
  id: Uuid(),
  notificationId: Uuid(),
  channel,
  status: StringEnum(DELIVERY_STATUSES),
  providerId: NullableString(),
  adapter: NullableString(),
  attemptCount: Type.Integer(),
  providerMessageId: NullableString(),
  error: Nullable(Type.Object({ class: StringEnum(['transient', 'permanent', 'config']), code: NullableString(), message: NullableString() })),
  nextAttemptAt: NullableDateTime(),
  failingSince: NullableDateTime({ description: 'When the current run of transient failures began' }),
  fallbackOf: NullableString({ description: 'The delivery this one is the fallback of' }),
  sentAt: NullableDateTime(),
  deliveredAt: NullableDateTime(),
  openedAt: NullableDateTime({ description: 'The first genuine open of this delivery' }),
  clickedAt: NullableDateTime({ description: 'The first genuine click of this delivery' }),
  createdAt: DateTime(),
  updatedAt: DateTime(),
});
export type DeliveryView = Static<typeof deliveryViewSchema>;

export const attemptViewSchema = Type.Object({
  attempt: Type.Integer(),
  providerId: NullableString(),
  adapter: NullableString(),
  outcome: StringEnum(['success', 'transient', 'permanent', 'config', 'circuit_open']),
  errorCode: NullableString(),
  errorScope: Type.Unsafe<'recipient' | 'provider' | null>({
    enum: ['recipient', 'provider', null],
    description: 'Permanent failures: about the recipient (the fallback channel took over) or the provider (the next provider was tried)',
  }),
  errorMessage: NullableString(),
  probe: Type.Boolean({ description: "The probe of a half-open circuit: its failure spent none of the delivery's attempts" }),
  providerMessageId: NullableString(),
  response: NullableString(),
  startedAt: DateTime(),
  durationMs: Nullable(Type.Integer()),
});
export type AttemptView = Static<typeof attemptViewSchema>;

export const deliveryDetailSchema = Type.Object({ ...deliveryViewSchema.properties, attempts: Type.Array(attemptViewSchema) });
export type DeliveryDetail = Static<typeof deliveryDetailSchema>;

export const interactionViewSchema = Type.Object({
  id: Uuid(),
  notificationId: Uuid(),
  deliveryId: NullableString(),
  kind: StringEnum(['open', 'click', 'dismiss', 'reply', 'action']),
  channel: Type.Unsafe<string | null>({ enum: [...CHANNELS, null] }),
  source: StringEnum(['pixel', 'redirect', 'provider', 'api', 'inbox'], { description: "How Clarion learnt of it: its tracking pixel or click redirect, a provider's event, the API, the inbox" }),
  adapter: NullableString(),
  link: NullableString({ description: "A click's target" }),
  action: NullableString({ description: "An action's name (acknowledge, a button's action)" }),
  userAgent: NullableString(),
  ip: NullableString({ description: 'The network it came from: the address truncated to its /24 (IPv4) or /48 (IPv6)' }),
  prefetch: Type.Boolean({ description: "A machine fetched it (Apple Mail Privacy Protection, a link scanner, a provider's machine-open flag): not counted as engagement" }),
  occurredAt: DateTime(),
});
export type InteractionView = Static<typeof interactionViewSchema>;

export const notificationDetailSchema = Type.Object({
  ...notificationViewSchema.properties,
  content: Nullable(AnyObject(), { description: 'What was rendered, per channel' }),
  deliveries: Type.Array(deliveryDetailSchema),
  interactions: Type.Array(interactionViewSchema, { description: 'Opens, clicks, dismissals, replies and actions, oldest first (at most 1000)' }),
});
export type NotificationDetail = Static<typeof notificationDetailSchema>;

export const outboxMessageSchema = Type.Object({
  id: Type.String(),
  adapter: Type.String(),
  channel,
  notificationId: NullableString(),
  deliveryId: NullableString(),
  to: AnyObject(),
  content: AnyObject(),
  headers: Nullable(AnyObject()),
  createdAt: DateTime(),
});
export type OutboxMessage = Static<typeof outboxMessageSchema>;

export const auditEntrySchema = Type.Object({
  id: Type.Integer(),
  actor: Type.String(),
  action: Type.String(),
  targetType: Type.String(),
  targetId: NullableString(),
  summary: AnyObject(),
  createdAt: DateTime(),
});
export type AuditEntry = Static<typeof auditEntrySchema>;

import { CHANNELS } from '@clarion/adapter-kit';
import { DateTime, PagingQuery, StringEnum, Type } from '../kernel/schema.ts';
import { DELIVERY_STATUSES, NOTIFICATION_STATUSES } from '../notifications/status.ts';

/**
 * The query parameters of the lists this area's API serves (subscribers, providers,
 * notifications, deliveries, outbox, audit), once: the OpenAPI document (openapi.ts) lists them and the routes check the query
 * against them (queryReader, core/kernel/schema.ts).
 */

export const notificationListQuery = Type.Object({
  ...PagingQuery(),
  status: Type.Optional(StringEnum(NOTIFICATION_STATUSES, { description: 'Only this status' })),
  subscriber: Type.Optional(Type.String({ description: 'Only this subscriber id' })),
  workflow: Type.Optional(Type.String({ description: 'Only this workflow key' })),
  since: Type.Optional(DateTime({ description: 'Created at or after (RFC 3339)' })),
  until: Type.Optional(DateTime({ description: 'Created before (RFC 3339)' })),
});

export const deliveryListQuery = Type.Object({
  ...PagingQuery(),
  status: Type.Optional(StringEnum(DELIVERY_STATUSES, { description: 'Only this status' })),
  channel: Type.Optional(StringEnum(CHANNELS, { description: 'Only this channel' })),
});

export const outboxQuery = Type.Object({
  ...PagingQuery(),
  channel: Type.Optional(StringEnum(CHANNELS, { description: 'Only this channel' })),
  to: Type.Optional(Type.String({ description: 'Only messages to this subscriber id, email or phone' })),
});

export const subscriberListQuery = Type.Object({
  ...PagingQuery(),
  team: Type.Optional(Type.String({ description: 'Members of this team' })),
  project: Type.Optional(Type.String({ description: 'Members of this project' })),
});

export const providerListQuery = Type.Object({
  channel: Type.Optional(StringEnum(CHANNELS, { description: 'Only this channel' })),
});

export const auditQuery = Type.Object({
  ...PagingQuery(),
  targetType: Type.Optional(Type.String({ description: 'e.g. workflow, provider, delivery, notification' })),
  targetId: Type.Optional(Type.String({ description: 'The target id' })),
  action: Type.Optional(Type.String({ description: 'e.g. provider.created' })),
});

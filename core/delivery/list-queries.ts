import { DateTime, PagingQuery, StringEnum, Type } from '../kernel/schema.ts';
import { NOTIFICATION_STATUSES } from '../notifications/status.ts';

/**
 * The query parameters of the lists this area's API serves (notifications, deliveries, outbox,
 * audit), once: the OpenAPI document (openapi.ts) lists them and the routes check the query
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

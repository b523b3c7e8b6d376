import { INBOX_SCOPES } from './auth.ts';
import { AnyObject, DateTime, Nullable, NullableDateTime, NullableString, StringEnum, Type, Uuid, type Static } from '../kernel/schema.ts';

/**
 * What the inbox routes answer, defined once with TypeBox (core/kernel/schema.ts): the static
 * types are what the feed, the change log and the service return, and the OpenAPI document
 * (core/realtime/openapi.ts) shows the same objects.
 */

const count = (options: Record<string, unknown> = {}) => Type.Integer({ minimum: 0, ...options });

export const inboxActionSchema = Type.Object({
  key: Type.String({ description: 'What `POST /v1/inbox/{itemId}/actions/{key}` takes: its `action`, else its position' }),
  label: Type.String(),
  url: NullableString(),
  style: StringEnum(['primary', 'secondary']),
});
export type InboxAction = Static<typeof inboxActionSchema>;

export const inboxItemSchema = Type.Object({
  id: Uuid(),
  notificationId: Nullable(Uuid()),
  workflow: NullableString(),
  category: NullableString(),
  tags: Type.Array(Type.String()),
  title: NullableString(),
  body: NullableString(),
  url: NullableString({ description: 'Where a click leads' }),
  actions: Type.Array(inboxActionSchema),
  data: AnyObject(),
  createdAt: DateTime(),
  surfacedAt: DateTime({ description: 'When it arrived, or came back from a snooze: the order of the list' }),
  seenAt: NullableDateTime(),
  readAt: NullableDateTime(),
  archivedAt: NullableDateTime(),
  snoozedUntil: NullableDateTime(),
  action: Nullable(Type.Object({ key: Type.String(), at: DateTime() }), { description: 'The action button taken, and when' }),
});
export type InboxItemView = Static<typeof inboxItemSchema>;

export const inboxCountsSchema = Type.Object({
  total: count({ description: 'Items in the inbox: neither archived nor snoozed' }),
  unread: count(),
  unseen: count(),
  categories: Type.Array(Type.Object({ category: NullableString(), total: count(), unread: count(), unseen: count() })),
});
export type InboxCounts = Static<typeof inboxCountsSchema>;

export const markResultSchema = Type.Object({ updated: count(), more: Type.Boolean({ description: 'Some items of the selection are left for the next call' }) });
export type MarkResult = Static<typeof markResultSchema>;

export const presenceSchema = Type.Object({
  subscriberId: Type.String(),
  online: Type.Boolean(),
  connections: count({ description: 'Open streams, over every gateway' }),
  lastSeenAt: NullableDateTime({ description: 'The latest refresh of the presence by a gateway' }),
});
export type PresenceView = Static<typeof presenceSchema>;

export const inboxSecretSchema = Type.Object({
  secret: Type.String({ description: "Keep it on your servers: anyone holding it can open any subscriber's inbox" }),
  rotatedAt: DateTime(),
});
export type InboxSecretView = Static<typeof inboxSecretSchema>;

export const inboxTokenSchema = Type.Object({
  token: Type.String({ description: '`cin_...`: send as Authorization: Bearer, or as the `token` attribute of `<clarion-inbox>`' }),
  expiresAt: DateTime(),
  scopes: Type.Array(StringEnum(INBOX_SCOPES)),
});
export type InboxTokenView = Static<typeof inboxTokenSchema>;

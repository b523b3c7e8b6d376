import type { FieldError } from '../errors.ts';

/**
 * The event types outgoing webhooks carry. Endpoint filters are checked against this catalogue so
 * a typo is refused at once rather than silently never matching.
 */
export const WEBHOOK_EVENT_TYPES = [
  { type: 'io.clarion.notification.sent', description: 'A notification was handed to a provider on one of its channels.' },
  { type: 'io.clarion.notification.delivered', description: 'A provider confirmed the notification reached the recipient.' },
  { type: 'io.clarion.notification.partially_delivered', description: 'Some channels of the notification reached the recipient and the others failed for good (e.g. the in-app copy arrived, the SMS did not); its deliveries say which.' },
  { type: 'io.clarion.notification.failed', description: 'Every channel and provider of the notification failed.' },
  { type: 'io.clarion.notification.seen', description: 'The recipient saw the notification in their in-app inbox (the list was shown) without opening it yet.' },
  { type: 'io.clarion.notification.read', description: 'The recipient read the notification (in-app, or a read receipt).' },
  { type: 'io.clarion.notification.action', description: 'The recipient took one of the in-app actions of the notification; `data.action` says which (its key, label and URL).' },
  { type: 'io.clarion.notification.archived', description: 'The recipient archived the notification in their in-app inbox.' },
  { type: 'io.clarion.notification.acknowledged', description: 'The recipient acknowledged the notification.' },
  { type: 'io.clarion.notification.suppressed', description: 'The pipeline suppressed the notification (preferences, dedup, rate limit...), or its event was cancelled before anything went out (`data.reason` starts with `cancelled: `); `data.reason` says why.' },
  { type: 'io.clarion.delivery.attempt_failed', description: 'One delivery attempt failed; it may be retried or fall back.' },
  { type: 'io.clarion.escalation.step', description: 'An escalation step of the notification ran.' },
  { type: 'io.clarion.interaction.open', description: 'The recipient opened the message (tracking pixel, a provider open event, a read receipt); `data.prefetch` is true when a machine fetched it (Apple Mail Privacy Protection), `data.first` for the first genuine open.' },
  { type: 'io.clarion.interaction.click', description: 'The recipient followed a link (`data.link`) of the message: the click redirect or a provider click event.' },
  { type: 'io.clarion.interaction.dismiss', description: 'The recipient dismissed the message (push, in-app).' },
  { type: 'io.clarion.interaction.reply', description: 'The recipient replied to the message (an SMS or WhatsApp answer).' },
  { type: 'io.clarion.interaction.action', description: 'The recipient took an action on the notification (`data.action`: acknowledge, a button).' },
  { type: 'io.clarion.webhook.endpoint_disabled', description: 'One of your webhook endpoints was disabled (it answered 410 Gone, or failed for 5 days).' },
] as const;

export const ENDPOINT_DISABLED_TYPE = 'io.clarion.webhook.endpoint_disabled';

const TYPE_PATTERN = /^(\*|[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)*(\.\*)?)$/;

/** Whether an endpoint's filter (null: everything) lets an event type through. */
export function matchesFilter(filter: readonly string[] | null | undefined, type: string): boolean {
  if (!filter) return true;
  return filter.some((pattern) => pattern === '*' || pattern === type || (pattern.endsWith('.*') && type.startsWith(pattern.slice(0, -1))));
}

/** Problems with the patterns of a filter: unknown types, wildcards that match nothing, duplicates. */
export function checkFilter(patterns: readonly string[], pointer = '/eventTypes'): FieldError[] {
  const known = WEBHOOK_EVENT_TYPES.map((t) => t.type as string);
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  patterns.forEach((pattern, i) => {
    const at = `${pointer}/${i}`;
    if (!TYPE_PATTERN.test(pattern)) {
      errors.push({ pointer: at, message: 'must be an event type such as io.clarion.notification.delivered, a prefix wildcard such as io.clarion.notification.*, or *' });
    } else if (!known.some((type) => matchesFilter([pattern], type))) {
      errors.push({ pointer: at, message: `matches no event type; known types: ${known.join(', ')}` });
    } else if (seen.has(pattern)) {
      errors.push({ pointer: at, message: 'is listed twice' });
    }
    seen.add(pattern);
  });
  return errors;
}

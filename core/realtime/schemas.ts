import { WORKFLOW_KEY } from '../workflows/service.ts';
import { MARK_ACTIONS } from './feed.ts';

/** The bodies of the inbox routes, checked by the gateway and described by the OpenAPI document. */

/** A category or tag: lower-case letters, digits, `.`, `_`, `-`. */
export const LABEL = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const UUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

const label = { type: 'string', pattern: LABEL.source };
export const itemPatchSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    seen: { const: true, description: 'The item was shown (an item seen stays seen)' },
    read: { type: 'boolean', description: 'true: read; false: unread again (the notification stays read)' },
    archived: { type: 'boolean', description: 'true: archived (out of the inbox); false: back in it' },
    snoozedUntil: { type: ['string', 'null'], format: 'date-time', description: 'Out of the inbox until then (future, at most 90 days); it comes back unread. null: back now' },
  },
};
export const markSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['action'],
  properties: {
    action: { enum: [...MARK_ACTIONS], description: 'read, seen, archive (all selected), archive_read (the read ones)' },
    ids: { type: 'array', minItems: 1, maxItems: 1000, uniqueItems: true, items: { type: 'string', pattern: UUID }, description: 'Only these items' },
    filter: {
      type: 'object',
      additionalProperties: false,
      properties: {
        category: { type: 'array', maxItems: 50, items: label },
        workflow: { type: 'array', maxItems: 50, items: { type: 'string', pattern: WORKFLOW_KEY.source } },
        tags: { type: 'array', maxItems: 50, items: label },
        since: { type: 'string', format: 'date-time' },
        until: { type: 'string', format: 'date-time' },
      },
    },
  },
};

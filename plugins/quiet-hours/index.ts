import { DateTime } from 'luxon';
import { definePlugin, type QuietHours } from '../../core/pipeline/types.ts';

/**
 * Quiet hours and send windows, in the subscriber's local time (luxon: DST-correct; a window whose
 * end is before its start crosses midnight). Inside the subscriber's quiet hours (own, or inherited
 * from project, team, tenant) a notification is deferred to the window's end, or dropped. A
 * workflow's send window (business hours) defers what falls outside it to the next opening.
 * Critical (and required) workflows bypass both.
 */
export interface Window {
  start: string;
  end: string;
  days?: number[];
  timezone?: string;
}

export interface QuietHoursOptions {
  action: 'defer' | 'drop';
  sendWindow?: Window;
}

const TIME = '^([01][0-9]|2[0-3]):[0-5][0-9]$';
const windowSchema = {
  type: 'object',
  required: ['start', 'end'],
  additionalProperties: false,
  properties: {
    start: { type: 'string', pattern: TIME },
    end: { type: 'string', pattern: TIME },
    days: { type: 'array', uniqueItems: true, minItems: 1, items: { type: 'integer', minimum: 1, maximum: 7 } },
    timezone: { type: 'string', minLength: 1, maxLength: 64 },
  },
};

function validZone(zone: string | null | undefined): zone is string {
  return !!zone && DateTime.now().setZone(zone).isValid;
}

/** The zone a window is read in: its own, else the subscriber's, else UTC. */
export function zoneOf(window: { timezone?: string }, subscriberZone: string | null | undefined): string {
  if (validZone(window.timezone)) return window.timezone;
  if (validZone(subscriberZone)) return subscriberZone;
  return 'UTC';
}

function occurrence(day: DateTime, window: Window): { start: DateTime; end: DateTime } {
  const [sh, sm] = window.start.split(':').map(Number);
  const [eh, em] = window.end.split(':').map(Number);
  const start = day.set({ hour: sh, minute: sm, second: 0, millisecond: 0 });
  const crosses = eh * 60 + em <= sh * 60 + sm;
  const end = (crosses ? day.plus({ days: 1 }) : day).set({ hour: eh, minute: em, second: 0, millisecond: 0 });
  return { start, end };
}

/** If `now` falls inside the window (read in `zone`), when that occurrence ends. */
export function windowEnd(now: Date, window: Window, zone: string): Date | undefined {
  const today = DateTime.fromJSDate(now, { zone }).startOf('day');
  // An occurrence that started yesterday may still run (windows crossing midnight).
  for (const offset of [-1, 0]) {
    const day = today.plus({ days: offset });
    if (window.days && !window.days.includes(day.weekday)) continue;
    const { start, end } = occurrence(day, window);
    if (now >= start.toJSDate() && now < end.toJSDate()) return end.toJSDate();
  }
  return undefined;
}

/** The next time the window opens at or after `now` (within the coming week). */
export function nextWindowStart(now: Date, window: Window, zone: string): Date | undefined {
  const today = DateTime.fromJSDate(now, { zone }).startOf('day');
  for (let offset = 0; offset <= 7; offset++) {
    const day = today.plus({ days: offset });
    if (window.days && !window.days.includes(day.weekday)) continue;
    const { start } = occurrence(day, window);
    if (start.toJSDate() >= now) return start.toJSDate();
  }
  return undefined;
}

export default definePlugin<QuietHoursOptions>({
  name: 'quiet-hours',
  after: ['dedup', 'preferences'],
  // The subscribers' quiet hours hold for every workflow but the required ones.
  enabledByDefault: true,
  // Nothing to defer without quiet hours stored anywhere and without a send window.
  inert: (options, facts) => !facts.tenantHasPreferences && !options.sendWindow,
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      action: { enum: ['defer', 'drop'], default: 'defer' },
      sendWindow: windowSchema,
    },
  },
  defaults: { action: 'defer' },
  async run(ctx, options) {
    if (ctx.workflow.priority === 'critical' || ctx.workflow.required) return { decision: 'continue', reason: 'critical: quiet hours and send windows do not apply' };
    const resolved = ctx.preferences ? await ctx.preferences() : undefined;
    const quiet = resolved?.quietHours();
    if (quiet) {
      const rule: QuietHours = quiet.rule;
      const zone = zoneOf(rule, ctx.subscriber.timezone);
      const end = windowEnd(ctx.now, rule, zone);
      if (end) {
        const details = { window: { start: rule.start, end: rule.end, days: rule.days ?? null, timezone: zone }, source: quiet.source, until: end.toISOString() };
        if (options.action === 'drop') return { decision: 'suppress', reason: 'quiet_hours', details };
        return { decision: 'defer', until: end, reason: 'quiet_hours', details };
      }
    }
    if (options.sendWindow) {
      const zone = zoneOf(options.sendWindow, ctx.subscriber.timezone);
      if (!windowEnd(ctx.now, options.sendWindow, zone)) {
        const next = nextWindowStart(ctx.now, options.sendWindow, zone);
        if (next) return { decision: 'defer', until: next, reason: 'outside_send_window', details: { window: { ...options.sendWindow, timezone: zone }, until: next.toISOString() } };
      }
    }
    return { decision: 'continue', reason: quiet ? 'outside quiet hours' : 'no quiet hours apply' };
  },
});

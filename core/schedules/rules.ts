import { CronExpressionParser } from 'cron-parser';
import { DateTime } from 'luxon';
import rrule from 'rrule';
import type { FieldError } from '../errors.ts';

/**
 * When a schedule's occurrences fall: an RFC 5545 RRULE (the `rrule` package) or a cron
 * expression (`cron-parser`), in an IANA time zone. An RRULE is expanded over local wall times
 * (floating, from `start`) and each is then placed in the zone by luxon, so "every Monday at 09:00"
 * stays 09:00 across a DST change; a wall time a change skips moves forward by the gap. Cron does
 * the same through cron-parser's own time zone support.
 */

/** Closest two occurrences may be. */
export const MIN_GAP_MS = 60_000;
/** Where every local time comes first (UTC+14): when a schedule in each subscriber's time zone emits. */
export const EARLIEST_ZONE = 'Etc/GMT-14';
const LOCAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/;

export interface RuleInput {
  rrule?: string;
  cron?: string;
  timezone: string;
  /** RRULE only: the first local date-time (its time of day is the occurrences' unless BYHOUR... say otherwise). */
  start?: string;
}

export interface Rule {
  /** The first occurrence strictly after `after`, or null when the rule has ended (UNTIL, COUNT). */
  next(after: Date): Date | null;
}

const toFloating = (instant: Date, zone: string): Date => {
  const local = DateTime.fromJSDate(instant, { zone });
  return new Date(Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second));
};
const fromFloating = (floating: Date, zone: string): Date =>
  DateTime.fromObject(
    { year: floating.getUTCFullYear(), month: floating.getUTCMonth() + 1, day: floating.getUTCDate(), hour: floating.getUTCHours(), minute: floating.getUTCMinutes(), second: floating.getUTCSeconds() },
    { zone },
  ).toJSDate();

/** The local wall time of an instant in a zone, as `deliverlocal` takes it (`2040-01-09T09:00`). */
export function wallTime(instant: Date, zone: string): string {
  return DateTime.fromJSDate(instant, { zone }).toFormat("yyyy-MM-dd'T'HH:mm:ss");
}

/** When the event of an occurrence in each subscriber's local time is emitted: as that wall time first comes anywhere. */
export function earliestInstant(occurrence: Date, zone: string): Date {
  return DateTime.fromISO(wallTime(occurrence, zone), { zone: EARLIEST_ZONE }).toJSDate();
}

export function parseRule(input: RuleInput, now: Date, errors: FieldError[]): Rule | undefined {
  const { timezone: zone } = input;
  if (input.rrule !== undefined) {
    const text = input.rrule.trim().replace(/^RRULE:/i, '');
    if (/[\r\n]|DTSTART|TZID/i.test(text)) {
      errors.push({ pointer: '/rrule', message: 'must be one RRULE value (FREQ=WEEKLY;BYDAY=MO;BYHOUR=9), without DTSTART or TZID: give "start" and "timezone"' });
      return undefined;
    }
    if (input.start !== undefined && (!LOCAL.test(input.start) || !DateTime.fromISO(input.start, { zone }).isValid)) {
      errors.push({ pointer: '/start', message: 'must be a local date and time without an offset, e.g. 2040-01-08T09:00' });
      return undefined;
    }
    const start = input.start ? DateTime.fromISO(input.start, { zone: 'UTC' }).toJSDate() : toFloating(DateTime.fromJSDate(now).startOf('minute').toJSDate(), zone);
    let rule: InstanceType<typeof rrule.RRule>;
    try {
      rule = new rrule.RRule({ ...rrule.RRule.parseString(text), dtstart: start });
      if (rule.options.freq === rrule.RRule.SECONDLY) throw new Error('FREQ=SECONDLY is too frequent');
    } catch (err) {
      errors.push({ pointer: '/rrule', message: `is not an RRULE Clarion can run: ${(err as Error).message}` });
      return undefined;
    }
    return {
      next(after) {
        let floating = toFloating(after, zone);
        for (let i = 0; i < 4; i++) {
          const found = rule.after(floating, false);
          if (!found) return null;
          const instant = fromFloating(found, zone);
          if (instant.getTime() > after.getTime()) return instant;
          floating = found; // a wall time repeated by a DST change: take the next one
        }
        return null;
      },
    };
  }
  const expression = input.cron ?? '';
  if (expression.trim().split(/\s+/).length !== 5) {
    errors.push({ pointer: '/cron', message: 'must have five fields: minute hour day-of-month month day-of-week (e.g. 0 9 * * 1)' });
    return undefined;
  }
  try {
    CronExpressionParser.parse(expression, { currentDate: now, tz: zone }).next();
  } catch (err) {
    errors.push({ pointer: '/cron', message: `is not a cron expression: ${(err as Error).message}` });
    return undefined;
  }
  return {
    next(after) {
      try {
        return CronExpressionParser.parse(expression, { currentDate: after, tz: zone }).next().toDate();
      } catch {
        return null;
      }
    },
  };
}

/** The next `count` occurrences after `after`. */
export function upcoming(rule: Rule, after: Date, count: number): Date[] {
  const out: Date[] = [];
  let at: Date | null = after;
  while (out.length < count && (at = rule.next(at)) !== null) out.push(at);
  return out;
}

/** A problem when occurrences come closer than a minute (checked over the first 50). */
export function tooFrequent(rule: Rule, after: Date): boolean {
  const times = upcoming(rule, after, 50);
  return times.some((t, i) => i > 0 && t.getTime() - times[i - 1].getTime() < MIN_GAP_MS);
}

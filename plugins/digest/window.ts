/**
 * The window a digest covers, for its title ("Your summary of the last hour", "Your daily
 * summary", "Your weekly summary"): the `windowSeconds` its items were batched with (the digest
 * plugin records it in each item's `batch` decision), 24 hours for the daily summary (keys
 * `daily:<date>`). Given to digest templates as `data.window`: `{seconds, unit, count}`, the
 * largest unit the window is a whole number of (minute, hour, day, week).
 */

export type WindowUnit = 'minute' | 'hour' | 'day' | 'week';

export interface DigestWindow {
  seconds: number;
  unit: WindowUnit;
  count: number;
}

const DAY = 86_400;
const UNITS: Array<[WindowUnit, number]> = [['week', 7 * DAY], ['day', DAY], ['hour', 3600]];

export function windowOf(seconds: number): DigestWindow {
  const whole = Math.max(60, Math.round(seconds));
  for (const [unit, size] of UNITS) if (whole % size === 0) return { seconds: whole, unit, count: whole / size };
  return { seconds: whole, unit: 'minute', count: Math.max(1, Math.round(whole / 60)) };
}

/** The digest's window from its key and its items' decisions; undefined when none says (templates then read it as daily). */
export function digestWindow(key: string, items: Array<{ decisions?: unknown }>): DigestWindow | undefined {
  if (key.startsWith('daily:')) return windowOf(DAY);
  for (const item of items) {
    const decisions = Array.isArray(item.decisions) ? (item.decisions as Array<{ plugin?: unknown; decision?: unknown; details?: { windowSeconds?: unknown } }>) : [];
    const batch = decisions.find((d) => d?.plugin === 'digest' && d.decision === 'batch');
    const seconds = batch?.details?.windowSeconds;
    if (typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0) return windowOf(seconds);
  }
  return undefined;
}

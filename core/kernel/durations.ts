/**
 * Durations as operators write them in settings: `250ms`, `5s`, `30m`, `2h`, `1d`, and
 * comma-separated schedules of them. Importable by everything; imports nothing of core.
 */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** One duration in milliseconds, at most `maxMs`; undefined when unreadable. */
export function parseDuration(text: string, maxMs = 7 * 86_400_000): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  const ms = Number(match[1]) * UNIT_MS[match[2]];
  if (!Number.isFinite(ms) || ms > maxMs) return undefined;
  return Math.round(ms);
}

/** Longest delay a workflow step or a timing extension may ask for. */
export const MAX_DELAY_MS = 366 * 86_400_000;

/**
 * A workflow delay (`90s`, `1h`, `3d`), at most 366 days; with `signed`, an offset that may be
 * negative (`-3d`: three days before a time). Undefined when unreadable or too long.
 */
export function parseDelay(text: string, signed = false): number | undefined {
  const negative = signed && text.trim().startsWith('-');
  const ms = parseDuration(negative ? text.trim().slice(1) : text, MAX_DELAY_MS);
  return ms === undefined ? undefined : negative ? -ms : ms;
}

/** `0s,5s,5m,...` as milliseconds; undefined when any part is unreadable or the list is empty or longer than 25. */
export function parseSchedule(text: string): number[] | undefined {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.length > 25) return undefined;
  const delays: number[] = [];
  for (const part of parts) {
    const ms = parseDuration(part);
    if (ms === undefined) return undefined;
    delays.push(ms);
  }
  return delays;
}

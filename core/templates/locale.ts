/**
 * Locale choice. A message is rendered in the first locale of this chain that has a template or
 * translations: the subscriber's locale with its region fallbacks (`fr-CA` -> `fr`), then the
 * tenant's default locale with its fallbacks, then `en`.
 */

export const DEFAULT_LOCALE = 'en';

/** The canonical BCP 47 spelling (`fr_ca` -> `fr-CA`), or undefined when it is no locale at all. */
export function canonicalLocale(value: string | null | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const tag = value.trim().replace(/_/g, '-');
  if (!/^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(tag)) return undefined;
  try {
    return Intl.getCanonicalLocales(tag)[0];
  } catch {
    return undefined;
  }
}

/** `zh-Hant-TW` -> [`zh-Hant-TW`, `zh-Hant`, `zh`]: the locale, then ever shorter prefixes. */
export function localeChain(value: string | null | undefined): string[] {
  const locale = canonicalLocale(value);
  if (!locale) return [];
  const parts = locale.split('-');
  const chain: string[] = [];
  for (let n = parts.length; n >= 1; n--) {
    // A lone single-letter subtag (`-u`, `-x`) only introduces extensions.
    if (parts[n - 1].length === 1) continue;
    chain.push(parts.slice(0, n).join('-'));
  }
  return chain;
}

/** Every locale worth trying, in order: requested chain, tenant default chain, then `en`. */
export function localeCandidates(requested: string | null | undefined, tenantDefault: string | null | undefined): string[] {
  return [...new Set([...localeChain(requested), ...localeChain(tenantDefault), DEFAULT_LOCALE])];
}

/**
 * The locale to render in: the first candidate (see `localeCandidates`) found in `available`
 * (compared case-insensitively; the available spelling is returned). When none is available, the
 * first available locale in sorted order, so the choice stays deterministic; `en` when nothing is.
 */
export function resolveLocale(requested: string | null | undefined, tenantDefault: string | null | undefined, available: Iterable<string>): string {
  const byLower = new Map<string, string>();
  for (const locale of available) {
    const canonical = canonicalLocale(locale) ?? locale;
    if (!byLower.has(canonical.toLowerCase())) byLower.set(canonical.toLowerCase(), canonical);
  }
  for (const candidate of localeCandidates(requested, tenantDefault)) {
    const found = byLower.get(candidate.toLowerCase());
    if (found) return found;
  }
  const sorted = [...byLower.values()].sort();
  return sorted[0] ?? DEFAULT_LOCALE;
}

/** The language subtag: `fr-CA` -> `fr`. */
export function language(locale: string): string {
  return locale.split('-')[0].toLowerCase();
}

/**
 * The locale for dates and numbers: the subscriber's own (`fr-CA` formats differently from `fr`)
 * when it speaks the language the message is in, else the message's locale.
 */
export function formattingLocale(requested: string | null | undefined, chosen: string): string {
  const canonical = canonicalLocale(requested);
  return canonical && language(canonical) === language(chosen) ? canonical : chosen;
}

/** A time zone Intl knows, or undefined. */
export function validTimeZone(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '' || value.length > 64) return undefined;
  try {
    return new Intl.DateTimeFormat('en', { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

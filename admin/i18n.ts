import { readFileSync } from 'node:fs';

/**
 * The console's languages. Texts are written in English in the views (`t('Events')`); each other
 * language maps the English text to its own in `admin/locales/<lang>.json`. A text missing there
 * shows in English (the locale test lists the ones missing).
 */
export const LOCALES = ['en', 'fr'] as const;
export type Locale = (typeof LOCALES)[number];

const dictionaries: Record<Locale, Record<string, string>> = {
  en: {},
  fr: JSON.parse(readFileSync(new URL('./locales/fr.json', import.meta.url), 'utf8')),
};

export type Translate = (text: string, params?: Record<string, unknown>) => string;

export function translator(locale: Locale): Translate {
  const dictionary = dictionaries[locale];
  return (text, params) => {
    const template = dictionary[text] ?? text;
    return params ? template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole)) : template;
  };
}

/** The session's language, else the best of Accept-Language, else English. */
export function chooseLocale(sessionLocale: string | null | undefined, acceptLanguage: string | undefined): Locale {
  if (isLocale(sessionLocale)) return sessionLocale;
  const wanted = (acceptLanguage ?? '')
    .split(',')
    .map((part) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => /^q=([\d.]+)$/.exec(p.trim())?.[1]).find(Boolean);
      return { lang: tag.toLowerCase().split('-')[0], q: q === undefined ? 1 : Number(q) };
    })
    .filter((w) => w.q > 0)
    .sort((a, b) => b.q - a.q);
  return wanted.map((w) => w.lang).find(isLocale) ?? 'en';
}

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import i18next, { type i18n, type TFunction } from 'i18next';
import { DEFAULT_LOCALE } from './locale.ts';

/**
 * Translations: `locales/<locale>/<namespace>.json`, loaded once per process with i18next.
 * Templates call `t('namespace:key.path', {vars})`; `common` is the default namespace. Values are
 * interpolated as they are: escaping is the template's job (autoescape for HTML parts).
 */

export const LOCALES_DIR = fileURLToPath(new URL('../../locales/', import.meta.url));
export const DEFAULT_NAMESPACE = 'common';

export type Resources = Record<string, Record<string, Record<string, unknown>>>;

export interface Translations {
  resources: Resources;
  /** The locales that have a folder, e.g. [`en`, `fr`]. */
  locales: string[];
  namespaces: string[];
}

export function loadTranslations(dir: string = LOCALES_DIR): Translations {
  const resources: Resources = {};
  const namespaces = new Set<string>();
  for (const locale of readdirSync(dir).sort()) {
    const folder = path.join(dir, locale);
    if (!statSync(folder).isDirectory()) continue;
    resources[locale] = {};
    for (const file of readdirSync(folder).filter((f) => f.endsWith('.json')).sort()) {
      const ns = file.slice(0, -'.json'.length);
      const text = readFileSync(path.join(folder, file), 'utf8');
      try {
        resources[locale][ns] = JSON.parse(text) as Record<string, unknown>;
      } catch (err) {
        throw new Error(`locales/${locale}/${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
      }
      namespaces.add(ns);
    }
  }
  if (!resources[DEFAULT_LOCALE]) throw new Error(`locales/${DEFAULT_LOCALE} is missing: it is the last fallback of every message`);
  return { resources, locales: Object.keys(resources), namespaces: [...namespaces].sort() };
}

export function createI18n(translations: Translations): i18n {
  const instance = i18next.createInstance();
  void instance.init({
    initAsync: false,
    resources: translations.resources,
    ns: translations.namespaces,
    defaultNS: DEFAULT_NAMESPACE,
    fallbackLng: DEFAULT_LOCALE,
    returnNull: false,
    returnObjects: false,
    interpolation: { escapeValue: false },
  });
  return instance;
}

export type { TFunction };

const PLURAL_SUFFIXES = ['', '_zero', '_one', '_two', '_few', '_many', '_other'];

/**
 * Whether a literal key exists in one locale's own resources (no fallback), counting plural
 * forms (`key_one`, `key_other`) as the key. Used to warn about missing translations on save.
 */
export function hasTranslation(resources: Resources, locale: string, key: string): boolean {
  let ns = DEFAULT_NAMESPACE;
  let rest = key;
  const colon = key.indexOf(':');
  if (colon > 0) {
    ns = key.slice(0, colon);
    rest = key.slice(colon + 1);
  }
  const parts = rest.split('.');
  const last = parts.pop()!;
  let node: unknown = resources[locale]?.[ns];
  for (const part of parts) {
    if (!node || typeof node !== 'object' || !Object.hasOwn(node, part)) return false;
    node = (node as Record<string, unknown>)[part];
  }
  if (!node || typeof node !== 'object') return false;
  return PLURAL_SUFFIXES.some((suffix) => typeof (node as Record<string, unknown>)[last + suffix] === 'string');
}

import { CHANNELS, type Channel } from '@clarion/adapter-kit';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { ClarionError } from '../errors.ts';
import type { PreferenceLayer, PreferenceRule, PreferenceScope, PreferenceSettings, PreferenceSource, QuietHours, ResolvedPreferences } from '../pipeline/types.ts';
import { OneOf, Type, type Static } from '../kernel/schema.ts';
import { toFieldErrors } from '../kernel/validation.ts';

/**
 * The preference model: settings stored per scope (tenant, team, project, subscriber) and their
 * resolution. The most specific scope that says anything wins; inside one scope a workflow rule
 * beats a category rule, which beats the channel switch; a per-channel value beats `enabled`.
 * Two teams (or projects) of one subscriber that disagree: the opt-out wins.
 */

export const SCOPES: PreferenceScope[] = ['tenant', 'team', 'project', 'subscriber'];
const TIME = '^([01][0-9]|2[0-3]):[0-5][0-9]$';
const KEY = '^[a-z0-9][a-z0-9._-]{0,99}$';

const channelSwitches = (description: string) => Type.Unsafe<Partial<Record<Channel, boolean>>>({ type: 'object', propertyNames: { enum: CHANNELS }, additionalProperties: { type: 'boolean' }, description });
const rule = Type.Unsafe<PreferenceRule>({ type: 'object', propertyNames: { enum: [...CHANNELS, 'enabled'] }, additionalProperties: { type: 'boolean' } });
const rules = (description: string) => Type.Unsafe<Record<string, PreferenceRule>>({ type: 'object', propertyNames: { pattern: KEY }, additionalProperties: rule, description });

export const quietHoursSchema = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean({ default: true })),
    start: Type.String({ pattern: TIME, description: 'Local start time, HH:mm' }),
    end: Type.String({ pattern: TIME, description: 'Local end time, HH:mm (before start: the window crosses midnight)' }),
    days: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), { uniqueItems: true, minItems: 1, description: 'ISO weekdays the window starts on (1 = Monday); default every day' })),
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: "IANA time zone; default the subscriber's, else UTC" })),
  },
  { additionalProperties: false },
);

/**
 * The `settings` of a preference row (any scope), written once: ajv checks it (`checkSettings`),
 * and the OpenAPI document shows it (core/preferences/openapi.ts, `PreferenceSettings`).
 */
export const preferenceSettingsSchema = Type.Object(
  {
    channels: Type.Optional(channelSwitches('Whole channels on or off (SMS STOP sets `sms: false` here)')),
    categories: Type.Optional(rules('Per workflow category: `enabled` and/or per channel')),
    workflows: Type.Optional(rules('Per workflow key: `enabled` and/or per channel')),
    quietHours: Type.Optional(OneOf([Type.Null(), quietHoursSchema], { description: '`null` switches off inherited quiet hours' })),
    digest: Type.Optional(
      OneOf([
        Type.Null(),
        Type.Object(
          {
            enabled: Type.Optional(Type.Boolean({ description: 'false: workflows with the digest plugin send at once for this subscriber' })),
            daily: Type.Optional(Type.Boolean({ description: 'true: a daily summary of the last 24 hours' })),
            hour: Type.Optional(Type.Integer({ minimum: 0, maximum: 23, description: 'Local hour of the daily summary (default 8)' })),
          },
          { additionalProperties: false },
        ),
      ]),
    ),
  },
  { additionalProperties: false },
);

const ajv = new Ajv2020({ allErrors: true, strict: false, useDefaults: false });
const validate = ajv.compile(preferenceSettingsSchema);

export function checkSettings(input: unknown, pointer = ''): PreferenceSettings {
  if (!validate(input)) {
    throw new ClarionError('CLARION_ERR_PREFERENCE_INVALID', 'Invalid preference settings', {
      errors: toFieldErrors(validate.errors ?? []).map((e) => ({ ...e, pointer: `${pointer}${e.pointer}` })),
    });
  }
  // What the schema accepts is the plugin contract's type (core/pipeline/types.ts): the compiler checks it here.
  const settings: PreferenceSettings = input as Static<typeof preferenceSettingsSchema>;
  const zone = settings.quietHours?.timezone;
  if (zone && !validZone(zone)) {
    throw new ClarionError('CLARION_ERR_PREFERENCE_INVALID', 'Invalid preference settings', { errors: [{ pointer: `${pointer}/quietHours/timezone`, message: 'is not an IANA time zone' }] });
  }
  return settings;
}

export function validZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const RANK: Record<PreferenceScope, number> = { tenant: 0, team: 1, project: 2, subscriber: 3 };

/** Orders layers most general first (what `resolve` expects). */
export function sortLayers(layers: PreferenceLayer[]): PreferenceLayer[] {
  return [...layers].sort((a, b) => RANK[a.scope] - RANK[b.scope] || a.scopeId.localeCompare(b.scopeId));
}

/** Merges nested objects (a later PUT's `categories.orders.sms` keeps `categories.orders.email`). */
export function mergeSettings(base: PreferenceSettings, patch: PreferenceSettings): PreferenceSettings {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key];
    if (value && typeof value === 'object' && !Array.isArray(value) && current && typeof current === 'object' && key !== 'quietHours') {
      out[key] = key === 'categories' || key === 'workflows' ? mergeRules(current as Record<string, PreferenceRule>, value as Record<string, PreferenceRule>) : { ...current, ...value };
    } else out[key] = value;
  }
  return out as PreferenceSettings;
}

function mergeRules(base: Record<string, PreferenceRule>, patch: Record<string, PreferenceRule>) {
  const out = { ...base };
  for (const [key, value] of Object.entries(patch)) out[key] = { ...(out[key] ?? {}), ...value };
  return out;
}

/** Lookups inside one layer, most specific first. */
function lookups(channel: Channel, workflow: { key: string; category?: string }): Array<{ rule: string; read: (s: PreferenceSettings) => boolean | undefined }> {
  const list = [
    { rule: `workflows.${workflow.key}.${channel}`, read: (s: PreferenceSettings) => s.workflows?.[workflow.key]?.[channel] },
    { rule: `workflows.${workflow.key}.enabled`, read: (s: PreferenceSettings) => s.workflows?.[workflow.key]?.enabled },
  ];
  if (workflow.category) {
    const category = workflow.category;
    list.push(
      { rule: `categories.${category}.${channel}`, read: (s) => s.categories?.[category]?.[channel] },
      { rule: `categories.${category}.enabled`, read: (s) => s.categories?.[category]?.enabled },
    );
  }
  list.push({ rule: `channels.${channel}`, read: (s) => s.channels?.[channel] });
  return list;
}

export function resolve(input: PreferenceLayer[]): ResolvedPreferences {
  const layers = sortLayers(input);
  // Scope levels from the most specific; layers of one level (several teams) decide together.
  const levels = [...SCOPES].reverse().map((scope) => layers.filter((l) => l.scope === scope)).filter((l) => l.length > 0);
  return {
    layers,
    channel(channel, workflow) {
      for (const level of levels) {
        for (const { rule, read } of lookups(channel, workflow)) {
          const said = level.map((layer) => ({ layer, value: read(layer.settings) })).filter((x) => x.value !== undefined);
          if (said.length === 0) continue;
          const decisive = said.find((x) => x.value === false) ?? said[0];
          return { enabled: decisive.value, source: { scope: decisive.layer.scope, scopeId: decisive.layer.scopeId, rule } };
        }
      }
      return { enabled: undefined };
    },
    quietHours() {
      for (const level of levels) {
        const said = level.filter((l) => l.settings.quietHours !== undefined);
        if (said.length === 0) continue;
        const layer = said[0];
        const value = layer.settings.quietHours;
        if (!value || value.enabled === false) return undefined;
        return { rule: value as QuietHours, source: { scope: layer.scope, scopeId: layer.scopeId, rule: 'quietHours' } };
      }
      return undefined;
    },
    digest() {
      for (const level of levels) {
        const layer = level.find((l) => l.settings.digest !== undefined);
        if (!layer) continue;
        const value = layer.settings.digest;
        return value ? { value, source: { scope: layer.scope, scopeId: layer.scopeId, rule: 'digest' } } : undefined;
      }
      return undefined;
    },
  };
}

/** Sources of a decision, for `GET /v1/subscribers/:id/preferences`. */
export function describe(resolved: ResolvedPreferences, workflows: Array<{ key: string; category?: string; channels: Channel[] }>) {
  return workflows.map((w) => ({
    workflow: w.key,
    category: w.category ?? null,
    channels: Object.fromEntries(
      w.channels.map((c) => {
        const r = resolved.channel(c, w);
        return [c, { enabled: r.enabled ?? true, source: (r.source ?? null) as PreferenceSource | null }];
      }),
    ),
  }));
}

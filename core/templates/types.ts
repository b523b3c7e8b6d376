import type { Channel, RenderedContent } from '@clarion/adapter-kit';
import type { Static } from '../kernel/schema.ts';
import type { templateWarningSchema } from './schemas.ts';

/** What templates see, besides `t`, `locale` and `timezone` which the renderer adds. */
export interface TemplateContext {
  /** The CloudEvent's attributes (id, source, type, time, subject, extensions). */
  event: Record<string, unknown>;
  /** The CloudEvent's data. */
  data: unknown;
  /** id, name, email, phone, locale, timezone, data (custom fields). */
  subscriber: Record<string, unknown>;
  /** name, brand {name, color, logoUrl}. */
  tenant: Record<string, unknown>;
  /** id, priority, ackUrl, unsubscribeUrl. */
  notification: Record<string, unknown>;
  /** Digests: the batched items. */
  items?: unknown[];
}

export interface RenderInput {
  tenantId: string;
  workflowKey: string;
  channel: Channel;
  /** The subscriber's locale (or any requested one); region fallbacks apply. */
  locale?: string | null;
  tenantDefaultLocale?: string | null;
  context: TemplateContext;
  /** An A/B test variant's own parts, rendered instead of the published template (in the locale it would use). */
  variant?: { key: string; parts: Record<string, string> };
}

export interface RenderResult {
  parts: RenderedContent;
  /** The locale the message was rendered in (its template's, or the translations' for bundled templates). */
  locale: string;
  source: 'tenant' | 'bundled';
  /** The tenant template's version; null for bundled templates. */
  version: number | null;
}

/** One part's nunjucks source, with where it starts in its file (bundled files hold several parts). */
export interface PartSource {
  source: string;
  line: number;
  column: number;
  prefix: number;
}

/** A render as sent to a render process. Everything in it is plain data (structured clone). */
export interface RenderJob {
  /** Names the template in errors, e.g. `quotation.status_changed/email/fr version 3`. */
  name: string;
  channel: Channel;
  parts: Record<string, PartSource>;
  /** The tenant's own layouts by name; bundled layouts are known to the render process. */
  layouts: Record<string, string>;
  context: TemplateContext;
  /** The locale `t()` translates into. */
  locale: string;
  /** The locale dates and numbers are formatted in. */
  formatLocale: string;
  timeZone: string;
  /** ISO time the render happens at (for `relative`). */
  now: string;
  maxOutputChars: number;
}

export interface RenderFailureInfo {
  message: string;
  /** The part being rendered when it failed. */
  part: string | null;
  /** The layout the error happened in, when it was not the part itself. */
  template: string | null;
  line: number | null;
  column: number | null;
  kind: 'syntax' | 'render' | 'sandbox' | 'limit' | 'output';
}

export type RenderReply = { id: number; ok: true; content: RenderedContent } | { id: number; ok: false; error: RenderFailureInfo };

/** A warning of a save or a preview (`variable`: the variable path it is about, e.g. `data.quotation.total`). */
export type TemplateWarning = Static<typeof templateWarningSchema>;

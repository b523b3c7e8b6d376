import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { RenderedContent } from '@clarion/adapter-kit';
import { compile as compileHtmlToText } from 'html-to-text';
import type { i18n } from 'i18next';
import nunjucks from 'nunjucks';
import { templateFilters, type EscapeMode, type FilterState } from './filters.ts';
import { createI18n, loadTranslations } from './i18n.ts';
import { filePosition } from './blocks.ts';
import { locate } from './locate.ts';
import { CHANNEL_PARTS, type PartKind } from './parts.ts';
import { Frame, LimitExceeded, SafeString, SandboxContext, SandboxViolation, blocksOf, compileTemplate, errorPosition, installSandbox, markPosition, sandboxGlobals, setOutputBudget, type RenderFunction, type TemplateProps } from './sandbox.ts';
import type { RenderFailureInfo, RenderJob } from './types.ts';

/**
 * Renders jobs inside a render process (see pool.ts): compiles each part in the sandbox,
 * renders it with the escaping its kind needs, and turns the outputs into the adapter kit's
 * `RenderedContent`. Everything here is synchronous: one render at a time per process.
 */

export class RenderFailure extends Error {
  readonly info: RenderFailureInfo;
  constructor(info: RenderFailureInfo) {
    super(info.message);
    this.name = 'RenderFailure';
    this.info = info;
  }
}

const LAYOUT_NAME = /^_layouts\/([a-z0-9][a-z0-9_-]{0,63})\.njk$/;
const MAX_CACHED = 500;

const MODES: Record<PartKind, EscapeMode> = { html: 'html', layout: 'html', line: 'text', text: 'text', url: 'text', mrkdwn: 'mrkdwn', json: 'json' };
const AUTOESCAPE: Record<EscapeMode, unknown> = { html: true, text: false, mrkdwn: 'mrkdwn', json: 'json' };

type SandboxEnvironment = nunjucks.Environment & { globals: Record<string, unknown>; filters: Record<string, unknown>; tests: Record<string, unknown> };

export interface RendererOptions {
  localesDir: string;
  layoutsDir: string;
}

export class Renderer {
  readonly #i18n: i18n;
  readonly #env: SandboxEnvironment;
  readonly #bundledLayouts = new Map<string, string>();
  readonly #cache = new Map<string, TemplateProps>();
  #tenantLayouts: Record<string, string> = {};
  #state: FilterState = { locale: 'en', timeZone: 'UTC', now: new Date(0), mode: 'html' };
  readonly #htmlToText = compileHtmlToText({
    wordwrap: 78,
    selectors: [
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
      { selector: 'img', format: 'skip' },
      { selector: '.preheader', format: 'skip' },
      { selector: 'title', format: 'skip' },
    ],
  });

  constructor(options: RendererOptions) {
    installSandbox();
    this.#i18n = createI18n(loadTranslations(options.localesDir));
    for (const file of readdirSync(options.layoutsDir).filter((f) => f.endsWith('.njk'))) {
      this.#bundledLayouts.set(file.slice(0, -4), readFileSync(path.join(options.layoutsDir, file), 'utf8'));
    }
    // No file system loader: the only templates a part may extend, include or import are layouts.
    const loader = {
      async: false,
      cache: {},
      isRelative: () => false,
      getSource: (name: string) => this.#layoutSource(name),
    };
    const env = new nunjucks.Environment(loader as unknown as nunjucks.ILoader, { autoescape: true, trimBlocks: true, lstripBlocks: true });
    this.#env = env as SandboxEnvironment;
    this.#env.globals = sandboxGlobals();
    const filters: Record<string, unknown> = templateFilters(() => this.#state);
    this.#env.filters = filters;
    const tests: Record<string, unknown> = Object.create(null);
    Object.assign(tests, this.#env.tests);
    this.#env.tests = tests;
    // Filters and tests are looked up by name from the template: own entries only.
    (env as unknown as { getFilter(name: string): unknown }).getFilter = (name: string) => {
      if (!Object.hasOwn(filters, name)) throw new Error(`filter not found: ${name}`);
      return filters[name];
    };
    (env as unknown as { getTest(name: string): unknown }).getTest = (name: string) => {
      if (!Object.hasOwn(tests, name)) throw new Error(`test not found: ${name}`);
      return tests[name];
    };
  }

  render(job: RenderJob): RenderedContent {
    const spec = CHANNEL_PARTS[job.channel];
    if (!spec) throw new RenderFailure({ message: `unknown channel ${job.channel}`, part: null, template: null, line: null, column: null, kind: 'render' });
    this.#tenantLayouts = job.layouts ?? {};
    this.#state = { locale: job.formatLocale, timeZone: job.timeZone, now: new Date(job.now), mode: 'html' };
    setOutputBudget(job.maxOutputChars);

    const compiled = new Map<string, TemplateProps>();
    for (const [name, part] of Object.entries(job.parts)) {
      if (!Object.hasOwn(spec, name)) continue;
      try {
        compiled.set(name, this.#compile(part.source, `part:${name}`));
      } catch (err) {
        throw this.#failure(err, name, job, 'syntax');
      }
    }

    const variables = this.#variables(job);
    const outputs: Record<string, string> = {};
    let total = 0;
    for (const [name, partSpec] of Object.entries(spec)) {
      const props = compiled.get(name);
      if (!props || partSpec.kind === 'layout') continue;
      const mode = MODES[partSpec.kind];
      let output: string;
      try {
        output = this.#renderPart(name, props, compiled, variables, mode);
      } catch (err) {
        throw this.#failure(err, name, job, 'render');
      }
      total += output.length;
      if (total > job.maxOutputChars) {
        throw new RenderFailure({ message: `exceeded the output size limit of ${job.maxOutputChars} characters`, part: name, template: null, line: null, column: null, kind: 'limit' });
      }
      outputs[name] = output;
    }
    return this.#content(job, outputs);
  }

  #variables(job: RenderJob): Record<string, unknown> {
    const fixed = this.#i18n.getFixedT(job.locale);
    const locale = job.locale;
    function t(key: unknown, vars?: unknown): string {
      const k = key instanceof SafeString ? key.val : key;
      if (typeof k !== 'string' || k === '') throw new TypeError('t() needs a translation key, e.g. t("common:greeting")');
      return String(fixed(k, { ...translationVars(vars), lng: locale, returnObjects: false, interpolation: { escapeValue: false } }));
    }
    const c = job.context;
    return {
      event: deepFreeze(c.event ?? {}),
      data: deepFreeze(c.data ?? {}),
      subscriber: deepFreeze(c.subscriber ?? {}),
      tenant: deepFreeze(c.tenant ?? {}),
      notification: deepFreeze(c.notification ?? {}),
      items: deepFreeze(c.items ?? undefined),
      locale: job.locale,
      timezone: job.timeZone,
      t,
    };
  }

  /**
   * A part renders as its own template. The other parts are offered to it as blocks, so a layout
   * that says `{% block subject %}` in its `<title>` gets the subject part; the part's own blocks
   * come first (a part that extends a layout fills the layout's `html` block with its own).
   */
  #renderPart(name: string, props: TemplateProps, compiled: Map<string, TemplateProps>, variables: Record<string, unknown>, mode: EscapeMode): string {
    const blocks: Array<[string, RenderFunction]> = Object.entries(blocksOf(props));
    for (const [other, otherProps] of compiled) if (other !== name) blocks.push([other, otherProps.root]);
    const context = new SandboxContext(variables, blocks, this.#env);
    const frame = new Frame() as unknown as { topLevel: boolean };
    frame.topLevel = true;
    const envOptions = (this.#env as unknown as { opts: { autoescape: unknown } }).opts;
    envOptions.autoescape = AUTOESCAPE[mode];
    this.#state.mode = mode;
    let result: string | undefined;
    let failure: unknown;
    let done = false;
    try {
      props.root(this.#env, context, frame, nunjucks.runtime, (err, out) => {
        done = true;
        if (err) failure = err;
        else result = out;
      });
    } finally {
      envOptions.autoescape = true;
      this.#state.mode = 'html';
    }
    if (failure) throw failure;
    if (!done || result === undefined) throw new Error('the template did not finish rendering synchronously');
    return result;
  }

  #compile(source: string, name: string): TemplateProps {
    const key = `${name}\u0000${source}`;
    const cached = this.#cache.get(key);
    if (cached) {
      // Least recently used goes first.
      this.#cache.delete(key);
      this.#cache.set(key, cached);
      return cached;
    }
    const props = compileTemplate(source, name);
    if (this.#cache.size >= MAX_CACHED) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(key, props);
    return props;
  }

  #layoutSource(name: string): { src: { type: 'code'; obj: TemplateProps }; path: string; noCache: true } | null {
    const match = typeof name === 'string' ? LAYOUT_NAME.exec(name) : null;
    if (!match) return null;
    const source = Object.hasOwn(this.#tenantLayouts, match[1]) ? this.#tenantLayouts[match[1]] : this.#bundledLayouts.get(match[1]);
    if (source === undefined) return null;
    try {
      // Layouts are fetched per render (tenants own theirs), so nunjucks must not cache them by name.
      return { src: { type: 'code', obj: this.#compile(source, name) }, path: name, noCache: true };
    } catch (err) {
      const position = errorPosition(err);
      if (position) markPosition(err, { ...position, template: name });
      throw err;
    }
  }

  #failure(err: unknown, part: string, job: RenderJob, kind: RenderFailureInfo['kind']): RenderFailure {
    if (err instanceof RenderFailure) return err;
    const position = errorPosition(err);
    let line: number | null = position?.line ?? null;
    let column: number | null = position?.column ?? null;
    let template: string | null = null;
    const partName = position?.template?.startsWith('part:') ? position.template.slice(5) : undefined;
    if (position?.template && !position.template.startsWith('part:')) template = position.template;
    const source = job.parts[partName ?? part];
    let message = cleanMessage(err);
    // A compile error nunjucks gives no position for (the part ends inside a tag): find it in the source.
    if (kind === 'syntax' && template === null && source && (line === null || /end of file|Cannot read/i.test(message))) {
      const located = locate(source.source, err);
      ({ line, column, message } = located);
    }
    if (line !== null && column !== null && template === null && source) ({ line, column } = filePosition(source, line, column));
    const actualKind = err instanceof SandboxViolation ? 'sandbox' : err instanceof LimitExceeded ? 'limit' : kind;
    return new RenderFailure({ message, part: partName ?? part, template, line, column, kind: actualKind });
  }

  #content(job: RenderJob, outputs: Record<string, string>): RenderedContent {
    const content: RenderedContent = {};
    const spec = CHANNEL_PARTS[job.channel];
    for (const [name, output] of Object.entries(outputs)) {
      const kind = spec[name].kind;
      const fail = (message: string) => new RenderFailure({ message, part: name, template: null, line: null, column: null, kind: 'output' });
      if (kind === 'line') {
        const text = output.replace(/\s+/g, ' ').trim();
        if (text) (content as Record<string, unknown>)[name] = text;
      } else if (kind === 'text' || kind === 'mrkdwn') {
        const text = tidyText(output);
        if (text) (content as Record<string, unknown>)[name] = text;
      } else if (kind === 'html') {
        const html = output.trim();
        if (html) content.html = html;
      } else if (kind === 'url') {
        const url = output.trim();
        if (url && !/^(https?:\/\/[^\s]+|\/[^\s]*)$/i.test(url)) throw fail(`must render an http(s) URL or a path starting with / (got ${JSON.stringify(url.slice(0, 100))})`);
        if (url) content.url = url;
      } else if (kind === 'json') {
        const text = output.trim();
        if (!text) continue;
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch (err) {
          throw fail(`did not render valid JSON: ${(err as Error).message}`);
        }
        if (job.channel === 'webhook') content.json = value;
        else if (name === 'blocks') content.blocks = value;
        else if (name === 'actions') content.actions = toActions(value, fail);
        else if (name === 'data') content.data = toStringMap(value, fail);
      }
    }
    if (job.channel === 'email' && content.text === undefined && content.html !== undefined) {
      content.text = tidyText(this.#htmlToText(content.html));
    }
    return content;
  }
}

function translationVars(vars: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!vars || typeof vars !== 'object') return out;
  for (const [key, value] of Object.entries(vars)) {
    if (key === '__keywords' || key === 'lng' || key === 'lngs' || key === 'ns' || key === 'interpolation' || key === 'postProcess' || key === 'returnObjects') continue;
    const plain = plainValue(value, 0);
    if (plain !== undefined) out[key] = plain;
  }
  return out;
}

/** Only data goes into i18next: strings, numbers, booleans, and objects/arrays of them. */
function plainValue(value: unknown, depth: number): unknown {
  if (value instanceof SafeString) return value.val;
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (depth > 5 || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) return value.map((v) => plainValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const plain = plainValue(v, depth + 1);
    if (plain !== undefined) out[k] = plain;
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Trailing spaces go, CRLF becomes LF, and runs of blank lines (left by tags) become one. */
export function tidyText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function toStringMap(value: unknown, fail: (message: string) => Error): Record<string, string> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw fail('must render a JSON object');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === null || v === undefined) continue;
    out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}

function toActions(value: unknown, fail: (message: string) => Error): Array<{ label: string; url?: string; action?: string; style?: 'primary' | 'secondary' }> {
  if (!Array.isArray(value)) throw fail('must render a JSON array of {"label", "url"?, "action"?, "style"?}');
  return value.map((item, i) => {
    if (!item || typeof item !== 'object' || typeof item.label !== 'string' || item.label.trim() === '') throw fail(`item ${i} needs a "label" string`);
    const action: { label: string; url?: string; action?: string; style?: 'primary' | 'secondary' } = { label: item.label };
    if (item.style !== undefined) {
      if (item.style !== 'primary' && item.style !== 'secondary') throw fail(`item ${i}: "style" must be "primary" or "secondary"`);
      action.style = item.style;
    }
    if (item.url !== undefined) {
      if (typeof item.url !== 'string' || !/^(https?:\/\/|\/)/i.test(item.url)) throw fail(`item ${i}: "url" must be an http(s) URL or a path`);
      action.url = item.url;
    }
    if (item.action !== undefined) {
      if (typeof item.action !== 'string') throw fail(`item ${i}: "action" must be a string`);
      action.action = item.action;
    }
    return action;
  });
}

function cleanMessage(err: unknown): string {
  if (err instanceof RangeError && /call stack/i.test(err.message)) {
    return 'the templates include, import or extend each other without end (maximum call stack size exceeded)';
  }
  let message = (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim();
  // nunjucks wraps errors once per template they cross: "Template render error: (path) [Line x, Column y] ...".
  // The position is reported apart; keep the innermost message.
  for (;;) {
    const stripped = message.replace(/^(Template render error: )?\([^)]*\)\s*(\[Line \d+(, Column \d+)?\])?\s*/, '').replace(/^(Error|TypeError|RangeError): /, '');
    if (stripped === message) break;
    message = stripped;
  }
  if (/Maximum call stack size exceeded/.test(message)) return 'the templates include, import or extend each other without end (maximum call stack size exceeded)';
  return (message.length > 500 ? `${message.slice(0, 497)}...` : message) || 'render failed';
}

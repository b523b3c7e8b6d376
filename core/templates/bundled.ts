import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHANNELS, type Channel } from '@clarion/adapter-kit';
import { BlockSyntaxError, extractParts } from './blocks.ts';
import { canonicalLocale } from './locale.ts';
import { CHANNEL_PARTS } from './parts.ts';
import type { PartSource } from './types.ts';

/**
 * The bundled workflows: `templates/<workflow>/` with `schema.json` (the contract of the event's
 * data), `sample.json` (sample data and subscriber), and one nunjucks file per channel
 * (`email.njk`, `sms.njk`...) whose blocks are the parts, plus per-locale overrides
 * (`email.fr.njk`). `templates/_layouts/` holds the shared layouts. Read once, on first use.
 */

export const TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));
export const LAYOUTS_DIRNAME = '_layouts';

export interface BundledFile {
  /** Path relative to the templates folder, e.g. `quotation.status_changed/email.fr.njk`. */
  file: string;
  parts: Record<string, PartSource>;
}

export interface BundledChannel {
  base: BundledFile;
  /** Per-locale override files, by canonical locale. */
  overrides: Map<string, BundledFile>;
}

export interface Sample {
  data: unknown;
  subscriber?: Record<string, unknown>;
  items?: unknown[];
}

export interface BundledWorkflow {
  key: string;
  schema: Record<string, unknown> | undefined;
  sample: Sample | undefined;
  channels: Map<Channel, BundledChannel>;
}

export class BundledTemplates {
  readonly #dir: string;
  readonly #translationLocales: string[];
  #workflows: Map<string, BundledWorkflow> | undefined;
  #layouts: Map<string, string> | undefined;

  constructor(translationLocales: string[], dir: string = TEMPLATES_DIR) {
    this.#dir = dir;
    this.#translationLocales = translationLocales;
  }

  get dir(): string {
    return this.#dir;
  }

  get layoutsDir(): string {
    return path.join(this.#dir, LAYOUTS_DIRNAME);
  }

  workflow(key: string): BundledWorkflow | undefined {
    return this.#load().get(key);
  }

  workflows(): BundledWorkflow[] {
    return [...this.#load().values()];
  }

  layouts(): Map<string, string> {
    if (!this.#layouts) {
      const layouts = new Map<string, string>();
      if (existsSync(this.layoutsDir)) {
        for (const file of readdirSync(this.layoutsDir).filter((f) => f.endsWith('.njk')).sort()) {
          layouts.set(file.slice(0, -4), readFileSync(path.join(this.layoutsDir, file), 'utf8'));
        }
      }
      this.#layouts = layouts;
    }
    return this.#layouts;
  }

  /** The locales a bundled channel template renders in: every translated locale, plus its override files'. */
  locales(workflow: string, channel: Channel): string[] {
    const entry = this.workflow(workflow)?.channels.get(channel);
    if (!entry) return [];
    return [...new Set([...this.#translationLocales, ...entry.overrides.keys()])];
  }

  /** The bundled file for exactly this locale (its override, or the base file in a translated locale). */
  file(workflow: string, channel: Channel, locale: string): BundledFile | undefined {
    const entry = this.workflow(workflow)?.channels.get(channel);
    if (!entry) return undefined;
    const override = entry.overrides.get(locale);
    if (override) return override;
    return this.#translationLocales.includes(locale) ? entry.base : undefined;
  }

  #load(): Map<string, BundledWorkflow> {
    if (this.#workflows) return this.#workflows;
    const workflows = new Map<string, BundledWorkflow>();
    if (existsSync(this.#dir)) {
      for (const key of readdirSync(this.#dir).sort()) {
        if (key.startsWith('_') || key.startsWith('.')) continue;
        const folder = path.join(this.#dir, key);
        if (!statSync(folder).isDirectory()) continue;
        workflows.set(key, this.#readWorkflow(key, folder));
      }
    }
    this.#workflows = workflows;
    return workflows;
  }

  #readWorkflow(key: string, folder: string): BundledWorkflow {
    const json = (name: string) => {
      const file = path.join(folder, name);
      if (!existsSync(file)) return undefined;
      try {
        return JSON.parse(readFileSync(file, 'utf8'));
      } catch (err) {
        throw new Error(`templates/${key}/${name} is not valid JSON: ${(err as Error).message}`, { cause: err });
      }
    };
    const channels = new Map<Channel, BundledChannel>();
    const overrides: Array<[Channel, string, BundledFile]> = [];
    for (const name of readdirSync(folder).filter((f) => f.endsWith('.njk')).sort()) {
      const match = /^([a-z_]+)(?:\.([A-Za-z0-9-]+))?\.njk$/.exec(name);
      const channel = match?.[1] as Channel | undefined;
      if (!match || !channel || !CHANNELS.includes(channel)) throw new Error(`templates/${key}/${name}: the file name must be <channel>.njk or <channel>.<locale>.njk (channels: ${CHANNELS.join(', ')})`);
      const file = this.#readFile(key, name, channel);
      if (match[2]) {
        const locale = canonicalLocale(match[2]);
        if (!locale) throw new Error(`templates/${key}/${name}: "${match[2]}" is not a locale`);
        overrides.push([channel, locale, file]);
      } else {
        channels.set(channel, { base: file, overrides: new Map() });
      }
    }
    for (const [channel, locale, file] of overrides) {
      const entry = channels.get(channel);
      if (!entry) throw new Error(`templates/${key}/${file.file}: a locale override needs the base file ${channel}.njk`);
      entry.overrides.set(locale, file);
    }
    return { key, schema: json('schema.json'), sample: json('sample.json'), channels };
  }

  #readFile(key: string, name: string, channel: Channel): BundledFile {
    const relative = `${key}/${name}`;
    const source = readFileSync(path.join(this.#dir, key, name), 'utf8');
    let parts: Record<string, PartSource>;
    try {
      parts = extractParts(source).parts;
    } catch (err) {
      if (err instanceof BlockSyntaxError) throw new Error(`templates/${relative}, line ${err.line}, column ${err.column}: ${err.message}`, { cause: err });
      throw err;
    }
    for (const part of Object.keys(parts)) {
      if (!Object.hasOwn(CHANNEL_PARTS[channel], part)) {
        throw new Error(`templates/${relative}: block "${part}" is not a part of ${channel} templates (allowed: ${Object.keys(CHANNEL_PARTS[channel]).join(', ')})`);
      }
    }
    return { file: relative, parts };
  }
}

import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { AdapterDefinition, Channel } from '@clarion/adapter-kit';
import { CHANNELS } from '@clarion/adapter-kit';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { Logger } from 'pino';
import { ClarionError } from '../errors.ts';
import type { AdapterView } from './provider-schemas.ts';

/**
 * Channel adapters, loaded by package name: every installed `@clarion/adapter-*` package, plus
 * the packages named in CLARION_ADAPTERS. Nothing in core names an adapter; adding one is
 * installing its package.
 */
export interface LoadedAdapter {
  definition: AdapterDefinition;
  packageName: string;
  validateConfig: ValidateFunction;
}

const SCOPE_DIR = fileURLToPath(new URL('../../node_modules/@clarion/', import.meta.url));

export class AdapterRegistry {
  readonly #adapters = new Map<string, LoadedAdapter>();
  readonly #ajv = new Ajv2020({ allErrors: true, strict: false });
  #loaded = false;

  constructor() {
    addFormats.default(this.#ajv);
  }

  async load(extraPackages: string[], log: Logger): Promise<void> {
    if (this.#loaded) return;
    const packages = new Set<string>();
    try {
      for (const entry of await readdir(SCOPE_DIR)) if (entry.startsWith('adapter-') && entry !== 'adapter-kit') packages.add(`@clarion/${entry}`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    for (const name of extraPackages) packages.add(name);
    for (const packageName of [...packages].sort()) {
      let mod: { default?: unknown };
      try {
        mod = await import(packageName);
      } catch (err) {
        throw new ClarionError('CLARION_ERR_ADAPTER_LOAD', `Adapter package ${packageName} cannot be loaded: ${(err as Error).message}`, { cause: err });
      }
      this.register(mod.default, packageName);
    }
    this.#loaded = true;
    log.debug({ adapters: [...this.#adapters.keys()] }, 'adapters loaded');
  }

  /** Registers a definition (also used by tests for adapters defined inline). */
  register(definition: unknown, packageName: string): void {
    const d = definition as AdapterDefinition;
    if (!d || typeof d.name !== 'string' || typeof d.create !== 'function' || !CHANNELS.includes(d.channel) || typeof d.configSchema !== 'object') {
      throw new ClarionError('CLARION_ERR_ADAPTER_LOAD', `Package ${packageName} does not default-export an adapter (defineAdapter({ name, channel, configSchema, create }))`);
    }
    const existing = this.#adapters.get(d.name);
    if (existing && existing.packageName !== packageName) {
      throw new ClarionError('CLARION_ERR_ADAPTER_LOAD', `Adapter name ${d.name} is declared by both ${existing.packageName} and ${packageName}`);
    }
    let validateConfig: ValidateFunction;
    try {
      validateConfig = this.#ajv.compile(d.configSchema);
    } catch (err) {
      throw new ClarionError('CLARION_ERR_ADAPTER_LOAD', `Adapter ${d.name} (${packageName}) has an invalid configSchema: ${(err as Error).message}`);
    }
    this.#adapters.set(d.name, { definition: d, packageName, validateConfig });
  }

  get(name: string): LoadedAdapter | undefined {
    return this.#adapters.get(name);
  }

  require(name: string): LoadedAdapter {
    const adapter = this.#adapters.get(name);
    if (!adapter) {
      throw new ClarionError('CLARION_ERR_PROVIDER_UNKNOWN_ADAPTER', `No adapter named ${name} is installed (installed: ${this.names().join(', ') || 'none'})`, {
        errors: [{ pointer: '/adapter', message: `must be one of ${this.names().join(', ')}` }],
      });
    }
    return adapter;
  }

  /** The adapter serves this channel (its main one, or one of `channels`). */
  serves(name: string, channel: Channel): boolean {
    const d = this.#adapters.get(name)?.definition;
    return !!d && (d.channel === channel || (d.channels ?? []).includes(channel));
  }

  /** An adapter that serves the channel with no configuration at all, if one is installed. */
  implicitFor(channel: Channel): LoadedAdapter | undefined {
    return [...this.#adapters.values()].find((a) => a.definition.implicit && (a.definition.channel === channel || (a.definition.channels ?? []).includes(channel)));
  }

  names(): string[] {
    return [...this.#adapters.keys()].sort();
  }

  list(): AdapterView[] {
    return [...this.#adapters.values()]
      .map((a) => ({ name: a.definition.name, channel: a.definition.channel, channels: a.definition.channels ?? [a.definition.channel], implicit: a.definition.implicit === true, description: a.definition.description, packageName: a.packageName, configSchema: a.definition.configSchema }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }
}

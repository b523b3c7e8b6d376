import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { ClarionError } from '../errors.ts';
import type { ChainFacts, Decision, DecisionRecord, NotificationContext, PipelinePlugin, PluginChannel } from './types.ts';
import type { PluginHooks, PluginHost, StatefulPlugin } from './host.ts';
import { withSpan } from '../tracing.ts';

const PLUGINS_DIR = fileURLToPath(new URL('../../plugins/', import.meta.url));

interface LoadedPlugin {
  plugin: StatefulPlugin;
  validate: ValidateFunction;
}

/** A task a plugin owns, ready for the worker: its payload checked, then its handler with the host. */
export interface OwnedTask {
  plugin: string;
  run(host: PluginHost, payload: unknown): Promise<unknown>;
  crontab?: string;
}

/**
 * Loads the plugins of `plugins/` by folder name (each declares its name and options schema; the
 * loader checks them at boot) and runs a workflow's chain: every enabled plugin in dependency
 * order, stopping at the first decision other than `continue`. Every decision is recorded.
 */
export class PipelineRunner {
  readonly #plugins = new Map<string, LoadedPlugin>();
  readonly #tasks = new Map<string, OwnedTask>();
  readonly #ajv = new Ajv2020({ allErrors: true, strict: false, useDefaults: true });

  async load(log: Logger, dir = PLUGINS_DIR): Promise<void> {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name, 'index.ts');
      if (!entry.isDirectory() || !existsSync(file)) continue;
      const mod = (await import(pathToFileURL(file).href)) as { default?: PipelinePlugin };
      this.register(mod.default, file);
    }
    log.debug({ plugins: [...this.#plugins.keys()] }, 'pipeline plugins loaded');
  }

  register(plugin: StatefulPlugin | PipelinePlugin | undefined, origin: string): void {
    if (!plugin || typeof plugin.name !== 'string' || typeof plugin.run !== 'function' || typeof plugin.optionsSchema !== 'object') {
      throw new ClarionError('CLARION_ERR_PIPELINE_PLUGIN', `${origin} does not default-export a pipeline plugin ({ name, optionsSchema, run })`);
    }
    if (this.#plugins.has(plugin.name)) throw new ClarionError('CLARION_ERR_PIPELINE_PLUGIN', `Two plugins are named ${plugin.name}`);
    const stateful = plugin as StatefulPlugin;
    const tasks = new Map<string, OwnedTask>();
    for (const [name, task] of Object.entries(stateful.tasks ?? {})) {
      if (!/^[a-z][a-z0-9_]{0,62}$/.test(name) || typeof task?.run !== 'function' || typeof task.payload !== 'object') {
        throw new ClarionError('CLARION_ERR_PIPELINE_PLUGIN', `${origin}: task ${name} must be snake_case with { payload, run }`);
      }
      if (this.#tasks.has(name)) throw new ClarionError('CLARION_ERR_PIPELINE_PLUGIN', `${origin}: task ${name} is already owned by plugin ${this.#tasks.get(name)!.plugin}`);
      const validate = this.#ajv.compile(task.payload);
      const run = task.run as (host: PluginHost, payload: unknown) => Promise<unknown>;
      tasks.set(name, {
        plugin: plugin.name,
        crontab: task.crontab,
        run: async (host, payload) => {
          // A job queued by an older version, or by hand, fails loudly rather than half-runs.
          if (!validate(payload)) throw new Error(`${name}: invalid payload ${JSON.stringify(payload)}: ${this.#ajv.errorsText(validate.errors)}`);
          return run(host, payload);
        },
      });
    }
    this.#plugins.set(plugin.name, { plugin: stateful, validate: this.#ajv.compile(plugin.optionsSchema) });
    for (const [name, task] of tasks) this.#tasks.set(name, task);
  }

  /** The tasks the plugins own, by graphile-worker task name (the worker adds them to its task list). */
  tasks(): Map<string, OwnedTask> {
    return new Map(this.#tasks);
  }

  /** The hooks of the installed plugins that have one, in name order. */
  #withHook<K extends keyof PluginHooks>(hook: K): Array<{ name: string; plugin: StatefulPlugin & Required<Pick<StatefulPlugin, K>> }> {
    return this.names().flatMap((name) => {
      const { plugin } = this.#plugins.get(name)!;
      return plugin[hook] ? [{ name, plugin: plugin as StatefulPlugin & Required<Pick<StatefulPlugin, K>> }] : [];
    });
  }

  /**
   * A chain's final decision was written with its notification: the plugin that made it takes
   * over what it asked for (a batch, a schedule's steps), in the same transaction. False when
   * no installed plugin takes it (the engine then does what it does without one).
   */
  async decided(host: PluginHost, db: Knex, plugin: string | undefined, input: Parameters<NonNullable<PluginHooks['decided']>>[2]): Promise<boolean> {
    const loaded = plugin ? this.#plugins.get(plugin) : undefined;
    if (!loaded?.plugin.decided) return false;
    await loaded.plugin.decided(host, db, input);
    return true;
  }

  /** Extra template data for a notification a plugin made (its first decision names it). */
  async templateData(host: PluginHost, input: Parameters<NonNullable<PluginHooks['templateData']>>[1]): Promise<Record<string, unknown> | undefined> {
    const first = input.notification.decisions[0] as { plugin?: unknown } | undefined;
    const loaded = typeof first?.plugin === 'string' ? this.#plugins.get(first.plugin) : undefined;
    return loaded?.plugin.templateData ? loaded.plugin.templateData(host, input) : undefined;
  }

  /** A subscriber is erased: every plugin's erase hook, in the erasure's transaction; their counts by table. */
  async erase(db: Knex, input: Parameters<NonNullable<PluginHooks['erase']>>[1]): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const { plugin } of this.#withHook('erase')) Object.assign(counts, await plugin.erase(db, input));
    return counts;
  }

  /** Notifications are cancelled: every plugin's cancel hook, in the cancellation's transaction; what they released, summed. */
  async cancel(db: Knex, input: Parameters<NonNullable<PluginHooks['cancel']>>[1]): Promise<{ batched: number }> {
    let batched = 0;
    for (const { plugin } of this.#withHook('cancel')) batched += (await plugin.cancel(db, input)).batched ?? 0;
    return { batched };
  }

  /** Retention: every plugin's expire hook; their counts by table. */
  async expire(db: Knex, input: Parameters<NonNullable<PluginHooks['expire']>>[1]): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const { plugin } of this.#withHook('expire')) Object.assign(counts, await plugin.expire(db, input));
    return counts;
  }

  /** Each installed plugin with its options schema (the console builds its option forms from them). */
  describe(): Array<{ name: string; optionsSchema: Record<string, unknown>; description?: string }> {
    return this.names().map((name) => {
      const { plugin } = this.#plugins.get(name)!;
      return { name, optionsSchema: plugin.optionsSchema as Record<string, unknown>, description: (plugin as { description?: string }).description };
    });
  }

  names(): string[] {
    return [...this.#plugins.keys()].sort();
  }

  /**
   * Checks a workflow's `plugins` object (at save time): known names, valid options, and no
   * default plugin turned off unless the workflow is `required`.
   */
  check(plugins: Record<string, unknown>, workflow: { required?: boolean } = {}): Array<{ pointer: string; message: string }> {
    const errors = [];
    for (const [name, options] of Object.entries(plugins)) {
      const loaded = this.#plugins.get(name);
      if (!loaded) {
        errors.push({ pointer: `/plugins/${name}`, message: `is not an installed plugin (installed: ${this.names().join(', ') || 'none'})` });
        continue;
      }
      if (options === false) {
        if (loaded.plugin.enabledByDefault && !workflow.required) {
          errors.push({ pointer: `/plugins/${name}`, message: `applies to every workflow that is not required (the subscribers' choices): only a required workflow ("required": true, or priority critical) may turn it off` });
        }
        continue;
      }
      const copy = structuredClone(options === true ? {} : options);
      if (!loaded.validate(copy)) {
        for (const e of loaded.validate.errors ?? []) errors.push({ pointer: `/plugins/${name}${e.instancePath}`, message: e.message ?? 'is invalid' });
      }
    }
    return errors;
  }

  /**
   * The channels the enabled plugins may send on besides the workflow's own, with pointers into
   * the workflow (`/plugins/escalation/steps/1/channels/0`). Plugins with invalid options give none
   * (`check` reports those).
   */
  channels(plugins: Record<string, unknown>): PluginChannel[] {
    const found: PluginChannel[] = [];
    for (const name of this.enabled(plugins)) {
      const loaded = this.#plugins.get(name);
      if (!loaded?.plugin.channels) continue;
      const options = structuredClone({ ...(loaded.plugin.defaults ?? {}), ...(plugins[name] === true || plugins[name] === undefined ? {} : (plugins[name] as object)) });
      if (!loaded.validate(options)) continue;
      for (const c of loaded.plugin.channels(options as Record<string, unknown>)) found.push({ ...c, pointer: `/plugins/${escapePointer(name)}${c.pointer}` });
    }
    return found;
  }

  /** The plugins a workflow's `"plugins"` object turns on: those it names (not `false`), and the default ones it does not turn off. */
  enabled(plugins: Record<string, unknown> | undefined): string[] {
    const named = Object.keys(plugins ?? {}).filter((name) => plugins![name] !== false);
    const defaults = [...this.#plugins.values()].filter((l) => l.plugin.enabledByDefault && !Object.hasOwn(plugins ?? {}, l.plugin.name)).map((l) => l.plugin.name);
    return [...named, ...defaults];
  }

  /**
   * Whether the chain of a workflow can decide anything here: false when every enabled plugin says
   * it is inert with its options and these facts (read only when a plugin asks for them).
   */
  async decides(plugins: Record<string, unknown> | undefined, facts: () => Promise<ChainFacts>): Promise<boolean> {
    let known: ChainFacts | undefined;
    for (const name of this.enabled(plugins)) {
      const loaded = this.#plugins.get(name);
      if (!loaded?.plugin.inert) return true;
      const options = structuredClone({ ...(loaded.plugin.defaults ?? {}), ...(plugins?.[name] === true || plugins?.[name] === undefined ? {} : (plugins[name] as object)) });
      if (!loaded.validate(options)) return true;
      known ??= await facts();
      if (!loaded.plugin.inert(options as Record<string, unknown>, known)) return true;
    }
    return false;
  }

  /** Runs the chain; returns the final decision and every decision made. */
  run(ctx: NotificationContext, plugins: Record<string, unknown>, log: Logger): Promise<{ final: Decision; records: DecisionRecord[] }> {
    return withSpan('clarion.pipeline', { attributes: { 'clarion.notification_id': ctx.notificationId, 'clarion.workflow': ctx.workflow.key } }, async (span) => {
      const result = await this.#run(ctx, plugins, log);
      span.setAttributes({ 'clarion.pipeline.decision': result.final.decision, 'clarion.pipeline.plugins': result.records.map((r) => r.plugin) });
      return result;
    });
  }

  async #run(ctx: NotificationContext, plugins: Record<string, unknown>, log: Logger): Promise<{ final: Decision; records: DecisionRecord[] }> {
    const records: DecisionRecord[] = [];
    for (const name of this.#order(this.enabled(plugins))) {
      const loaded = this.#plugins.get(name);
      const at = ctx.now.toISOString();
      if (!loaded) {
        const record = { decision: 'continue', plugin: name, at, reason: 'plugin not installed: skipped' } as DecisionRecord;
        records.push(record);
        log.warn({ plugin: name }, 'workflow names a plugin that is not installed');
        continue;
      }
      const options = structuredClone({ ...(loaded.plugin.defaults ?? {}), ...(plugins[name] === true || plugins[name] === undefined ? {} : (plugins[name] as object)) });
      if (!loaded.validate(options)) {
        const record = { decision: 'continue', plugin: name, at, reason: `invalid options: ${this.#ajv.errorsText(loaded.validate.errors)}: skipped` } as DecisionRecord;
        records.push(record);
        continue;
      }
      let decision: Decision;
      try {
        // A savepoint per plugin: a query that fails inside one rolls back only that plugin's work,
        // and the fan-out transaction stays usable for the rest of the chain.
        decision = await ctx.db.transaction((savepoint) => loaded.plugin.run({ ...ctx, db: savepoint, decisions: [...records] }, options as Record<string, unknown>));
      } catch (err) {
        // A broken plugin must not lose the notification: it is recorded and the chain goes on.
        log.error({ err, plugin: name }, 'pipeline plugin threw');
        records.push({ decision: 'continue', plugin: name, at, reason: `plugin failed: ${(err as Error).message}` } as DecisionRecord);
        continue;
      }
      records.push({ ...decision, plugin: name, at } as DecisionRecord);
      if (decision.decision === 'continue') {
        if (decision.channels) ctx = { ...ctx, channels: decision.channels };
        continue;
      }
      return { final: decision, records };
    }
    return { final: { decision: 'continue', channels: ctx.channels }, records };
  }

  #order(names: string[]): string[] {
    const result: string[] = [];
    const visit = (name: string, stack: string[]) => {
      if (result.includes(name) || stack.includes(name)) return;
      for (const dep of this.#plugins.get(name)?.plugin.after ?? []) if (names.includes(dep)) visit(dep, [...stack, name]);
      result.push(name);
    };
    for (const name of names) visit(name, []);
    return result;
  }
}


function escapePointer(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

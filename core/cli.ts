import { readFile } from 'node:fs/promises';
import { randomBytes, randomUUID } from 'node:crypto';
import { Command, CommanderError, Option } from 'commander';
import pino from 'pino';
import { loadConfig, type Config } from './config.ts';
import { migrate, pendingMigrations } from './db/database.ts';
import { ClarionError } from './errors.ts';
import { createLogger } from './log.ts';
import { openDatabase, startClarion } from './runtime.ts';
import { ApiKeyService, type ApiKeyView } from './api-keys/service.ts';
import { createTenant, findTenant } from './tenants.ts';
import type { Knex } from 'knex';
import { isUuid } from './kernel/ids.ts';
import { AccountService } from './accounts/service.ts';
import { systemClock } from './kernel/clock.ts';
import { startTracing } from './tracing.ts';
import cliProgress from 'cli-progress';
import path from 'node:path';
import { countLines, formatOf, loadState, parseMapping, readRows, refusalOf, removeState, saveState, stateFileOf, type BulkAnswer, type ImportRow, type ImportState, type Refusal } from './subscribers/import.ts';

const VERSION = '0.1.0';

/** One-off commands log warnings to stderr only, so their stdout stays clean for `--json`. */
function quietLogger(config: Config) {
  return createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, pino.destination(2));
}

async function serve(mode: { gateway: boolean; worker: boolean; amqp?: boolean }) {
  const config = loadConfig();
  if (mode.amqp && !config.amqpUrl) throw new ClarionError('CLARION_ERR_CLI_USAGE', 'clarion consume reads a RabbitMQ queue: set CLARION_AMQP_URL (e.g. amqp://user:password@rabbitmq:5672)');
  const log = createLogger(config.logLevel);
  // OpenTelemetry traces over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set; nothing otherwise.
  const tracing = startTracing();
  if (tracing) log.info('exporting traces over OTLP');
  // Signals are handled from the first moment: a Ctrl-C during start-up still stops cleanly
  // (the embedded PostgreSQL runs in a session of its own, so only Clarion can stop it).
  const running: { clarion?: Awaited<ReturnType<typeof startClarion>> } = {};
  let requested: string | undefined;
  const stop = () =>
    running.clarion!.stop().then(
      async () => {
        await tracing?.shutdown().catch((err) => log.warn({ err }, 'traces could not be flushed'));
        process.exit(0);
      },
      (err) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  const shutdown = (signal: string) => {
    if (requested) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(130);
    }
    requested = signal;
    log.info({ signal }, 'signal received');
    if (running.clarion) void stop();
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  const clarion = (running.clarion = await startClarion({ config, log, ...mode }));
  if (requested) {
    void stop();
    return;
  }
  const what = [
    mode.gateway && `gateway on ${clarion.url}`,
    mode.worker && `worker (concurrency ${config.workerConcurrency})`,
    clarion.amqp && `consuming RabbitMQ queue ${config.amqpQueue}`,
  ].filter(Boolean).join(', ');
  const db = clarion.database.embedded ? `embedded PostgreSQL in ${config.dataDir}/postgres` : 'PostgreSQL from DATABASE_URL';
  console.log(`Clarion ${VERSION} on Node ${process.version}: ${what}; ${db}. Ctrl-C stops.`);
}

/** Runs a command against the database (attaching to a running embedded one, or starting it). */
async function withDatabase<T>(
  fn: (db: Awaited<ReturnType<typeof openDatabase>>, config: Config) => Promise<T>,
  options: { migrateFirst?: boolean } = {},
): Promise<T> {
  const config = loadConfig();
  const log = quietLogger(config);
  const db = await openDatabase(config, log);
  const release = stopOnSignal(db);
  try {
    if (options.migrateFirst ?? true) await migrate(db.knex, db.url, log);
    return await fn(db, config);
  } finally {
    release();
    await db.close();
  }
}

/**
 * A one-off command that started the embedded PostgreSQL stops it on Ctrl-C too (the server runs
 * in a session of its own, so nothing else would).
 */
function stopOnSignal(db: { close(): Promise<void> }): () => void {
  const onSignal = () => {
    db.close().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return () => {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  };
}

const program = new Command()
  .name('clarion')
  .description('Clarion notification gateway')
  .version(VERSION)
  .showHelpAfterError()
  .exitOverride();

program
  .command('start')
  .description('run the gateway and the worker in one process (embedded PostgreSQL unless DATABASE_URL is set)')
  .action(() => serve({ gateway: true, worker: true }));
program.command('gateway').description('run only the HTTP gateway').action(() => serve({ gateway: true, worker: false }));
program.command('worker').description('run only the job worker (add processes to add throughput)').action(() => serve({ gateway: false, worker: true }));
program
  .command('consume')
  .description('run only the RabbitMQ binding: read CloudEvents from CLARION_AMQP_QUEUE (the gateway does it too when CLARION_AMQP_URL is set)')
  .action(() => serve({ gateway: false, worker: false, amqp: true }));

program
  .command('migrate')
  .description('bring the database schema up to date')
  .option('--status', 'only list the migrations not yet applied')
  .action(async (options: { status?: boolean }) => {
    // The migrate command migrates (or only lists) itself.
    await withDatabase(async (db, config) => {
      if (options.status) {
        const pending = await pendingMigrations(db.knex);
        console.log(pending.length === 0 ? 'The database is up to date.' : `Pending migrations:\n  ${pending.join('\n  ')}`);
        return;
      }
      const applied = await migrate(db.knex, db.url, quietLogger(config));
      console.log(applied.length === 0 ? 'The database is up to date.' : `Applied:\n  ${applied.join('\n  ')}`);
    }, { migrateFirst: false });
  });

const tenant = program.command('tenant').description('manage tenants');
tenant
  .command('create')
  .description('create a tenant and its first API key (shown once)')
  .requiredOption('--name <name>', 'the organisation name')
  .option('--accept-unvalidated-types', 'accept event types that have no contract')
  .option('--json', 'print {"tenantId", "apiKey"} as JSON')
  .action(async (options: { name: string; json?: boolean; acceptUnvalidatedTypes?: boolean }) => {
    await withDatabase(async (db) => {
      const { tenant, apiKey } = await createTenant(db.knex, {
        name: options.name,
        settings: options.acceptUnvalidatedTypes ? { acceptUnvalidatedTypes: true } : {},
      });
      if (options.json) console.log(JSON.stringify({ tenantId: tenant.id, apiKey }));
      else {
        console.log(`Tenant ${tenant.name} created: ${tenant.id}`);
        console.log(`API key (shown once, store it now): ${apiKey}`);
      }
    });
  });

/** The tenant of `--tenant`, or an error saying where tenant ids come from. */
async function requireTenant(knex: Knex, tenantId: string): Promise<void> {
  if (!(await findTenant(knex, tenantId))) {
    throw new ClarionError('CLARION_ERR_TENANT_NOT_FOUND', `No tenant has id ${tenantId}: pass the tenantId that \`clarion tenant create\` printed`);
  }
}

const apikey = program.command('apikey').description('manage API keys (list, create, revoke)');
apikey
  .command('list')
  .description("list a tenant's API keys, revoked ones included (never the keys themselves)")
  .requiredOption('--tenant <id>', 'the tenant id')
  .option('--json', 'print {"tenantId", "items": [{"id", "name", "prefix", "createdAt", "lastUsedAt", "revokedAt"}]} as JSON')
  .action(async (options: { tenant: string; json?: boolean }) => {
    await withDatabase(async (db) => {
      await requireTenant(db.knex, options.tenant);
      const keys = new ApiKeyService(db.knex);
      const items: ApiKeyView[] = [];
      let cursor: string | undefined;
      do {
        const page = await keys.list(options.tenant, { limit: 200, cursor });
        items.push(...page.items);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      if (options.json) {
        console.log(JSON.stringify({ tenantId: options.tenant, items }));
        return;
      }
      if (items.length === 0) {
        console.log(`Tenant ${options.tenant} has no API keys: create one with \`clarion apikey create --tenant ${options.tenant}\``);
        return;
      }
      const rows = [['ID', 'NAME', 'PREFIX', 'CREATED', 'LAST USED', 'STATUS']];
      for (const k of items) rows.push([k.id, k.name, `${k.prefix}...`, k.createdAt, k.lastUsedAt ?? 'never', k.revokedAt ? `revoked ${k.revokedAt}` : 'active']);
      const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
      for (const r of rows) console.log(r.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd());
    });
  });
apikey
  .command('create')
  .description('create another API key for a tenant (shown once)')
  .requiredOption('--tenant <id>', 'the tenant id')
  .option('--name <name>', 'a label for the key', 'default')
  .option('--json', 'print {"tenantId", "apiKey", "keyId"} as JSON')
  .action(async (options: { tenant: string; name: string; json?: boolean }) => {
    await withDatabase(async (db) => {
      await requireTenant(db.knex, options.tenant);
      let created;
      try {
        created = await new ApiKeyService(db.knex).create(options.tenant, { name: options.name }, 'cli');
      } catch (err) {
        if (err instanceof ClarionError && err.code === 'CLARION_ERR_HTTP_INVALID_REQUEST') {
          throw new ClarionError('CLARION_ERR_CLI_USAGE', '--name must be 1 to 100 characters, not only spaces', { cause: err });
        }
        throw err;
      }
      if (options.json) console.log(JSON.stringify({ tenantId: options.tenant, apiKey: created.key, keyId: created.id }));
      else console.log(`API key ${created.id} (${created.name}) created. The key (shown once, store it now): ${created.key}`);
    });
  });
apikey
  .command('revoke')
  .description('revoke an API key: every gateway refuses it at once')
  .requiredOption('--tenant <id>', 'the tenant id')
  .requiredOption('--id <keyId>', 'the id of the key (from `clarion apikey list`), not the key itself')
  .option('--force', "revoke the tenant's last active key too (the tenant has no working key until you create one)")
  .action(async (options: { tenant: string; id: string; force?: boolean }) => {
    if (!isUuid(options.id)) {
      throw new ClarionError(
        'CLARION_ERR_CLI_USAGE',
        options.id.startsWith('ck_')
          ? `--id takes the key's id, not the key itself: find it with \`clarion apikey list --tenant ${options.tenant}\` (the PREFIX column shows how each key starts)`
          : `--id ${options.id} is not a key id (a UUID): find it with \`clarion apikey list --tenant ${options.tenant}\``,
      );
    }
    await withDatabase(async (db) => {
      await requireTenant(db.knex, options.tenant);
      let result;
      try {
        result = await new ApiKeyService(db.knex).revoke(options.tenant, options.id, 'cli', { allowLast: options.force });
      } catch (err) {
        if (err instanceof ClarionError && err.code === 'CLARION_ERR_APIKEY_NOT_FOUND') {
          throw new ClarionError(err.code, `Tenant ${options.tenant} has no API key ${options.id}: see \`clarion apikey list --tenant ${options.tenant}\``, { cause: err });
        }
        if (err instanceof ClarionError && err.code === 'CLARION_ERR_APIKEY_LAST_ACTIVE') {
          throw new ClarionError(
            err.code,
            `API key ${options.id} is the tenant's last active key: create another first (\`clarion apikey create --tenant ${options.tenant}\`), or pass --force to revoke it anyway`,
            { cause: err },
          );
        }
        throw err;
      }
      const { key, revoked } = result;
      console.log(revoked ? `API key ${key.id} (${key.name}, ${key.prefix}...) revoked: it is refused from now on.` : `API key ${key.id} (${key.name}) was already revoked at ${key.revokedAt}.`);
    });
  });

const admin = program.command('admin').description('manage console users (the admin pages at /admin)');
admin
  .command('create')
  .description('create a console user: the first owner of a tenant, or an operator (--operator) who administers every tenant')
  .option('--tenant <id>', 'the tenant id (not with --operator)')
  .option('--operator', 'an operator super-admin, of no tenant')
  .requiredOption('--email <email>', 'the login email')
  .option('--role <role>', 'owner, admin, editor or viewer', 'owner')
  .option('--name <name>', 'a display name')
  .addOption(new Option('--password <password>', 'the password (at least 12 characters); default: read CLARION_ADMIN_PASSWORD, else a random one is printed').env('CLARION_ADMIN_PASSWORD'))
  .option('--json', 'print {"userId", "email", "role", "tenantId", "password"?} as JSON')
  .action(async (options: { tenant?: string; operator?: boolean; email: string; role: string; name?: string; password?: string; json?: boolean }) => {
    if (Boolean(options.operator) === Boolean(options.tenant)) throw new ClarionError('CLARION_ERR_CLI_USAGE', 'Pass --tenant ID (a tenant user) or --operator (a super-admin), one of them');
    const generated = options.password === undefined ? randomBytes(18).toString('base64url') : undefined;
    const password = options.password ?? generated!;
    await withDatabase(async (db, config) => {
      if (options.tenant) await requireTenant(db.knex, options.tenant);
      const accounts = new AccountService({ knex: db.knex, clock: systemClock, sessionTtlMs: config.adminSessionTtlMs });
      let user;
      try {
        user = await accounts.createUser({ tenantId: options.tenant ?? null, email: options.email, role: options.operator ? 'operator' : options.role, password, name: options.name }, 'cli');
      } catch (err) {
        if (err instanceof ClarionError && (err.code === 'CLARION_ERR_ADMIN_USER_INVALID' || err.code === 'CLARION_ERR_ADMIN_USER_EXISTS')) throw new ClarionError('CLARION_ERR_CLI_USAGE', err.message, { cause: err });
        throw err;
      }
      if (options.json) console.log(JSON.stringify({ userId: user.id, email: user.email, role: user.role, tenantId: user.tenantId, ...(generated ? { password: generated } : {}) }));
      else {
        console.log(`Console user ${user.email} (${user.role}) created: ${user.id}. Log in at ${config.publicUrl}/admin/login`);
        if (generated) console.log(`Password (shown once, change it after logging in): ${generated}`);
      }
    });
  });

admin
  .command('reset')
  .description('print a one-time link (valid an hour) to choose a new console password')
  .option('--tenant <id>', 'the tenant of the user (not with --operator)')
  .option('--operator', 'the user is an operator')
  .requiredOption('--email <email>', 'the login email')
  .action(async (options: { tenant?: string; operator?: boolean; email: string }) => {
    if (Boolean(options.operator) === Boolean(options.tenant)) throw new ClarionError('CLARION_ERR_CLI_USAGE', 'Pass --tenant ID (a tenant user) or --operator (a super-admin), one of them');
    await withDatabase(async (db, config) => {
      const accounts = new AccountService({ knex: db.knex, clock: systemClock, sessionTtlMs: config.adminSessionTtlMs });
      const { user, token } = await accounts.resetToken(options.tenant ?? null, options.email, 'cli');
      console.log(`Password reset link for ${user.email} (valid for an hour): ${config.publicUrl}/admin/password/reset/${token}`);
    });
  });

program
  .command('send')
  .description('post a CloudEvent to a running gateway')
  .requiredOption('--type <type>', 'CloudEvent type, e.g. com.acme.order.shipped')
  .requiredOption('--source <source>', 'CloudEvent source, e.g. /orders')
  .option('--data <json|@file>', 'event data: inline JSON, or @path/to/file.json')
  .option('--id <id>', 'CloudEvent id (default: a new UUID)')
  .option('--subject <subject>', 'CloudEvent subject')
  .addOption(new Option('--api-key <key>', 'tenant API key').env('CLARION_API_KEY'))
  .addOption(new Option('--url <url>', 'gateway URL (default: CLARION_PUBLIC_URL or http://HOST:PORT)').env('CLARION_URL'))
  .action(async (options: { type: string; source: string; data?: string; id?: string; subject?: string; apiKey?: string; url?: string }) => {
    if (!options.apiKey) throw new ClarionError('CLARION_ERR_CLI_USAGE', 'No API key: pass --api-key or set CLARION_API_KEY (create one with `npx clarion tenant create --name NAME`)');
    const data = options.data === undefined ? undefined : await readData(options.data);
    const base = (options.url ?? loadConfig().publicUrl).replace(/\/+$/, '');
    const event: Record<string, unknown> = { specversion: '1.0', id: options.id ?? randomUUID(), source: options.source, type: options.type, time: new Date().toISOString() };
    if (options.subject) event.subject = options.subject;
    if (data !== undefined) {
      event.datacontenttype = 'application/json';
      event.data = data;
    }
    let response: Response;
    try {
      response = await fetch(`${base}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents+json', authorization: `Bearer ${options.apiKey}` },
        body: JSON.stringify(event),
      });
    } catch (err) {
      throw new ClarionError('CLARION_ERR_CLI_GATEWAY_UNREACHABLE', `No gateway answers at ${base} (${(err as Error).cause ?? (err as Error).message}): start it with \`npm start\` or pass --url`);
    }
    const text = await response.text();
    if (!response.ok) {
      process.exitCode = 1;
      console.error(`clarion: the gateway refused the event (HTTP ${response.status}):`);
      console.error(text);
      return;
    }
    console.log(text);
  });

const subscribersCommand = program.command('subscribers').description('manage subscribers');
subscribersCommand
  .command('import')
  .description('create or update subscribers from a CSV file (header row) or JSON lines, through POST /v1/subscribers:bulk; resumable')
  .argument('<file>', 'a .csv file (first row names the columns) or .jsonl (one JSON object a line)')
  .option('--format <format>', 'csv or jsonl (default: from the file name)')
  .option('--map <column=field>', 'a column as a subscriber field: id, name, email, phone, locale, timezone, teams, projects, devices, chat, data or data.<key> (repeat for each)', (v: string, all: string[]) => [...all, v], [] as string[])
  .option('--batch-size <n>', 'subscribers per request, 1 to 10000', '1000')
  .option('--json', 'JSON lines on stdout: progress, each refused row, the summary')
  .option('--restart', 'start from the first line, forgetting an unfinished earlier run of this file')
  .addOption(new Option('--api-key <key>', 'tenant API key').env('CLARION_API_KEY'))
  .addOption(new Option('--url <url>', 'gateway URL (default: CLARION_PUBLIC_URL or http://HOST:PORT)').env('CLARION_URL'))
  .action(async (file: string, options: { format?: string; map: string[]; batchSize: string; json?: boolean; restart?: boolean; apiKey?: string; url?: string }) => {
    if (!options.apiKey) throw new ClarionError('CLARION_ERR_CLI_USAGE', 'No API key: pass --api-key or set CLARION_API_KEY');
    const batchSize = Number(options.batchSize);
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new ClarionError('CLARION_ERR_CLI_USAGE', `--batch-size ${options.batchSize}: expected an integer from 1 to 10000`);
    const format = formatOf(file, options.format);
    const mapping = parseMapping(options.map);
    const base = (options.url ?? loadConfig().publicUrl).replace(/\/+$/, '');
    const stateFile = stateFileOf(path.resolve(file));
    let lines: number;
    try {
      lines = await countLines(file);
    } catch (err) {
      throw new ClarionError('CLARION_ERR_CLI_USAGE', `Cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    if (options.restart) await removeState(stateFile);
    const previous = await loadState(file, stateFile);
    const { size, mtimeMs } = await import('node:fs/promises').then((fs) => fs.stat(file));
    const resumedAfterLine = previous?.line ?? 0;
    const state: ImportState = previous ?? { file: path.resolve(file), size, mtimeMs, line: 0, created: 0, updated: 0, refused: 0 };
    const out = (record: Record<string, unknown>) => console.log(JSON.stringify(record));
    const bar = !options.json && process.stderr.isTTY ? new cliProgress.SingleBar({ stream: process.stderr, format: 'importing {bar} {percentage}% | line {value}/{total} | {created} created, {updated} updated, {refused} refused', hideCursor: true }, cliProgress.Presets.shades_classic) : undefined;
    const shown: Refusal[] = [];
    let hidden = 0;
    const report = (refusal: Refusal) => {
      state.refused++;
      if (options.json) out({ type: 'refused', ...refusal });
      else if (shown.length < 1000) shown.push(refusal);
      else hidden++;
    };
    const warn = (message: string) => (options.json ? out({ type: 'warning', message }) : console.error(`clarion: ${message}`));
    if (previous) {
      if (options.json) out({ type: 'resumed', afterLine: previous.line, stateFile });
      else console.error(`clarion: resuming the import of ${file} after line ${previous.line} (${stateFile}); --restart starts again`);
    }
    bar?.start(lines, state.line, { created: state.created, updated: state.updated, refused: state.refused });
    const progress = (line: number) => {
      bar?.update(line, { created: state.created, updated: state.updated, refused: state.refused });
      if (options.json) out({ type: 'progress', line, lines, created: state.created, updated: state.updated, refused: state.refused });
    };

    const send = async (rows: ImportRow[]): Promise<void> => {
      const answer = await postBulk(base, options.apiKey!, rows.map((r) => r.item!));
      if (answer === 'too large' && rows.length > 1) {
        // The gateway's CLARION_MAX_BODY_BYTES: halve the batch until it fits.
        const half = Math.ceil(rows.length / 2);
        await send(rows.slice(0, half));
        await send(rows.slice(half));
        return;
      }
      if (answer === 'too large') {
        report({ line: rows[0].line, id: typeof rows[0].item?.id === 'string' ? rows[0].item.id : null, code: 'CLARION_ERR_HTTP_BODY_TOO_LARGE', errors: [{ field: '(subscriber)', message: 'is larger than the gateway accepts in one request (CLARION_MAX_BODY_BYTES)' }] });
        return;
      }
      state.created += answer.created;
      state.updated += answer.updated;
      for (const refused of answer.refused) report(refusalOf(rows[refused.index], refused));
    };
    const flush = async (rows: ImportRow[], line: number) => {
      if (rows.length > 0) await send(rows);
      state.line = line;
      await saveState(stateFile, state);
      progress(line);
    };

    let batch: ImportRow[] = [];
    let lastLine = state.line;
    try {
      for await (const row of readRows(file, format, mapping, warn)) {
        if (row.line <= state.line) continue;
        lastLine = Math.max(lastLine, row.line);
        if (row.problem) report({ line: row.line, id: null, code: 'CLARION_ERR_SUBSCRIBER_INVALID', errors: [{ field: '(row)', message: row.problem }] });
        else batch.push(row);
        if (batch.length >= batchSize) {
          await flush(batch, row.line);
          batch = [];
        }
      }
      await flush(batch, lastLine);
    } finally {
      bar?.stop();
    }
    await removeState(stateFile);
    const summary = { file, lines, created: state.created, updated: state.updated, refused: state.refused, resumedAfterLine };
    if (options.json) out({ type: 'summary', ...summary });
    else {
      for (const r of shown.sort((a, b) => a.line - b.line)) console.log(`line ${r.line}${r.id ? ` (${r.id})` : ''}: ${r.errors.map((e) => `${e.field}${e.column ? ` (column "${e.column}")` : ''} ${e.message}`).join('; ')}`);
      if (hidden > 0) console.log(`... and ${hidden} more refused rows (--json lists them all)`);
      console.log(`Imported ${file}: ${summary.created} created, ${summary.updated} updated, ${summary.refused} refused.`);
    }
    if (state.refused > 0) process.exitCode = 1;
  });

/** One POST /v1/subscribers:bulk, retried on 429 and 503 (honouring Retry-After); 'too large' for a 413. */
async function postBulk(base: string, apiKey: string, subscribers: Array<Record<string, unknown>>): Promise<BulkAnswer | 'too large'> {
  for (let attempt = 1; ; attempt++) {
    let response: Response;
    try {
      response = await fetch(`${base}/v1/subscribers:bulk`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
        body: JSON.stringify({ subscribers }),
      });
    } catch (err) {
      throw new ClarionError('CLARION_ERR_CLI_GATEWAY_UNREACHABLE', `No gateway answers at ${base} (${(err as Error).cause ?? (err as Error).message}): start it, then run the same command again to resume`);
    }
    if (response.status === 413) return 'too large';
    if ((response.status === 429 || response.status === 503) && attempt < 6) {
      const retryAfter = Number(response.headers.get('retry-after'));
      await response.arrayBuffer();
      await new Promise((resolve) => setTimeout(resolve, Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter, 60) * 1000 : 500 * 2 ** attempt));
      continue;
    }
    const text = await response.text();
    if (!response.ok) throw new ClarionError('CLARION_ERR_CLI_USAGE', `The gateway refused the import (HTTP ${response.status}): ${text.slice(0, 2000)}`);
    return JSON.parse(text) as BulkAnswer;
  }
}

async function readData(value: string): Promise<unknown> {
  let text = value;
  if (value.startsWith('@')) {
    try {
      text = await readFile(value.slice(1), 'utf8');
    } catch (err) {
      throw new ClarionError('CLARION_ERR_CLI_USAGE', `Cannot read --data file ${value.slice(1)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ClarionError('CLARION_ERR_CLI_USAGE', `--data ${value.startsWith('@') ? `file ${value.slice(1)}` : ''} is not valid JSON: ${(err as Error).message}`);
  }
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exit(err.exitCode);
  }
  if (err instanceof ClarionError) {
    console.error(`clarion: ${err.message}`);
    process.exit(err.code === 'CLARION_ERR_CLI_USAGE' ? 2 : 1);
  }
  console.error('clarion:', err);
  process.exit(1);
}

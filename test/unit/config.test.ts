import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { describeSettings, loadConfig } from '../../core/config.ts';
import { ClarionError } from '../../core/errors.ts';

describe('configuration', () => {
  it('has documented defaults', () => {
    const config = loadConfig({});
    expect(config).to.include({ port: 8080, host: '127.0.0.1', maxBodyBytes: 1048576, logLevel: 'info', databaseUrl: undefined, secretKey: undefined });
    expect(config.dataDir).to.equal(path.resolve('./.clarion'));
    expect(config.publicUrl).to.equal('http://127.0.0.1:8080');
  });

  it('reads and coerces the environment', () => {
    const key = 'a'.repeat(64);
    const config = loadConfig({ PORT: '9090', HOST: '0.0.0.0', DATABASE_URL: 'postgres://u:p@db:5432/clarion', CLARION_SECRET_KEY: key, LOG_LEVEL: 'debug', CLARION_MAX_BODY_BYTES: '2048' });
    expect(config).to.include({ port: 9090, host: '0.0.0.0', databaseUrl: 'postgres://u:p@db:5432/clarion', logLevel: 'debug', maxBodyBytes: 2048 });
    expect(config.secretKey).to.deep.equal(Buffer.from(key, 'hex'));
  });

  it('accepts a base64 secret key of 32 bytes and refuses other lengths', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    expect(loadConfig({ CLARION_SECRET_KEY: key }).secretKey).to.deep.equal(Buffer.alloc(32, 7));
    expect(() => loadConfig({ CLARION_SECRET_KEY: 'short' })).to.throw(ClarionError, /CLARION_SECRET_KEY=\(value hidden\) is invalid: expected 32 random bytes/);
  });

  it("lists every setting in the README's configuration table", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const firstCells = [...readme.matchAll(/^\| ([^|]*`[A-Z_]+`[^|]*) \|/gm)].map((m) => m[1]);
    for (const { env } of describeSettings()) expect(firstCells.some((cell) => cell.includes(`\`${env}\``)), env).to.equal(true);
  });

  it('reads the /metrics settings, and never repeats a bad token', () => {
    expect(loadConfig({})).to.include({ metricsToken: undefined, metricsTenantLabels: false, cacheTtlMs: 30000 });
    const token = 'f'.repeat(64);
    expect(loadConfig({ CLARION_METRICS_TOKEN: token, CLARION_METRICS_TENANT_LABELS: 'true' })).to.include({ metricsToken: token, metricsTenantLabels: true });
    expect(() => loadConfig({ CLARION_METRICS_TOKEN: 'hunter2' })).to.throw(ClarionError, 'CLARION_METRICS_TOKEN=(value hidden) is invalid: expected a token of 16 to 512 printable ASCII characters');
    try {
      loadConfig({ CLARION_METRICS_TOKEN: 'hunter2 hunter2 hunter2' });
      expect.fail('should throw');
    } catch (err) {
      expect((err as Error).message).to.not.include('hunter2');
    }
    expect(() => loadConfig({ CLARION_METRICS_TENANT_LABELS: 'sometimes' })).to.throw(ClarionError, 'CLARION_METRICS_TENANT_LABELS="sometimes" is invalid: expected true or false');
  });

  it('reads extra settings for the embedded PostgreSQL, and refuses what is not name=value', () => {
    expect(loadConfig({}).embeddedPostgresSettings).to.deep.equal([]);
    expect(loadConfig({ CLARION_EMBEDDED_POSTGRES_SETTINGS: ' shared_buffers=256MB  pg_stat_statements.track=all ' }).embeddedPostgresSettings).to.deep.equal([
      'shared_buffers=256MB',
      'pg_stat_statements.track=all',
    ]);
    expect(() => loadConfig({ CLARION_EMBEDDED_POSTGRES_SETTINGS: 'shared_buffers 256MB' })).to.throw(ClarionError, /CLARION_EMBEDDED_POSTGRES_SETTINGS="shared_buffers 256MB" is invalid: expected PostgreSQL settings as name=value/);
  });

  it('names every bad variable and what is allowed', () => {
    try {
      loadConfig({ PORT: '70000', CLARION_LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' });
      expect.fail('should throw');
    } catch (err) {
      expect(err).to.be.instanceOf(ClarionError);
      const message = (err as Error).message;
      expect(message).to.include('PORT="70000" is invalid: expected an integer from 0 to 65535');
      expect(message).to.include('CLARION_LOG_LEVEL="loud" is invalid: expected one of trace, debug, info, warn, error, fatal, silent');
      expect(message).to.include('DATABASE_URL=(value hidden) is invalid: expected a postgres:// or postgresql:// connection string');
    }
  });

  it('reads a JSON file, with the environment winning over it', () => {
    const file = path.join(tmpdir(), `clarion-config-${process.pid}.json`);
    writeFileSync(file, JSON.stringify({ PORT: 7000, HOST: '0.0.0.0' }));
    const config = loadConfig({ CLARION_CONFIG_FILE: file, PORT: '7001' });
    expect(config).to.include({ port: 7001, host: '0.0.0.0' });
  });

  it('refuses an unreadable, malformed or unknown-keyed file', () => {
    const file = path.join(tmpdir(), `clarion-config-bad-${process.pid}.json`);
    expect(() => loadConfig({ CLARION_CONFIG_FILE: '/nonexistent/clarion.json' })).to.throw(/cannot be read/);
    writeFileSync(file, '{ nope');
    expect(() => loadConfig({ CLARION_CONFIG_FILE: file })).to.throw(/is not valid JSON/);
    writeFileSync(file, JSON.stringify({ PROT: 1 }));
    expect(() => loadConfig({ CLARION_CONFIG_FILE: file })).to.throw(/unknown settings: PROT/);
  });
});

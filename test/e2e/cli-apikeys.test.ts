import { expect } from 'chai';
import { createTenant } from '../../core/tenants.ts';
import { TEST_SECRET } from '../support/clarion.ts';
import { freshDatabase, type TestDatabase } from '../support/postgres.ts';
import { runCli } from '../support/spawn.ts';

/** `clarion apikey list|create|revoke` as an operator runs them, against a real database. */
describe('clarion apikey (e2e)', function () {
  this.timeout(90_000);
  let db: TestDatabase;
  let env: Record<string, string>;
  let tenantId: string;
  let firstKeyId: string;

  before(async () => {
    db = await freshDatabase();
    env = { DATABASE_URL: db.url, CLARION_SECRET_KEY: TEST_SECRET, CLARION_LOG_LEVEL: 'warn' };
    ({ tenant: { id: tenantId }, keyId: firstKeyId } = await createTenant(db.knex, { name: 'Acme' }));
  });
  after(() => db?.drop());

  it('creates, lists and revokes keys, each audited as the CLI', async () => {
    const created = await runCli(['apikey', 'create', '--tenant', tenantId, '--name', 'billing', '--json'], env);
    expect(created.code, created.stderr).to.equal(0);
    const { apiKey, keyId } = JSON.parse(created.stdout);
    expect(apiKey).to.match(/^ck_/);

    const table = await runCli(['apikey', 'list', '--tenant', tenantId], env);
    expect(table.code, table.stderr).to.equal(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).to.match(/^ID\s+NAME\s+PREFIX\s+CREATED\s+LAST USED\s+STATUS$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 2))).to.deep.equal([[keyId, 'billing'], [firstKeyId, 'default']]);
    expect(table.stdout).to.include(`${apiKey.slice(0, 10)}...`);
    expect(table.stdout).to.not.include(apiKey);

    const revoked = await runCli(['apikey', 'revoke', '--tenant', tenantId, '--id', keyId], env);
    expect(revoked.code, revoked.stderr).to.equal(0);
    expect(revoked.stdout).to.match(new RegExp(`API key ${keyId} \\(billing, ck_.{7}\\.\\.\\.\\) revoked`));
    const again = await runCli(['apikey', 'revoke', '--tenant', tenantId, '--id', keyId], env);
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.match(/was already revoked at /);

    const json = await runCli(['apikey', 'list', '--tenant', tenantId, '--json'], env);
    expect(json.code, json.stderr).to.equal(0);
    const listed = JSON.parse(json.stdout);
    expect(listed.tenantId).to.equal(tenantId);
    expect(listed.items.map((k: { id: string; revokedAt: string | null }) => [k.id, k.revokedAt !== null])).to.deep.equal([[keyId, true], [firstKeyId, false]]);
    expect(Object.keys(listed.items[0]).sort()).to.deep.equal(['createdAt', 'id', 'lastUsedAt', 'name', 'prefix', 'revokedAt']);

    const audit = await db.knex('audit_logs').where({ tenant_id: tenantId, target_type: 'api_key', target_id: keyId }).orderBy('id').select('action', 'actor');
    expect(audit).to.deep.equal([{ action: 'api_key.created', actor: 'cli' }, { action: 'api_key.revoked', actor: 'cli' }]);
  });

  it("refuses the tenant's last active key unless forced", async () => {
    const refused = await runCli(['apikey', 'revoke', '--tenant', tenantId, '--id', firstKeyId], env);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.include(`clarion: API key ${firstKeyId} is the tenant's last active key: create another first (\`clarion apikey create --tenant ${tenantId}\`), or pass --force`);
    const forced = await runCli(['apikey', 'revoke', '--tenant', tenantId, '--id', firstKeyId, '--force'], env);
    expect(forced.code, forced.stderr).to.equal(0);
    expect(await db.knex('api_keys').where({ tenant_id: tenantId }).whereNull('revoked_at')).to.deep.equal([]);
  });

  it('says what to do on bad usage', async () => {
    const missing = await runCli(['apikey', 'revoke', '--tenant', tenantId], env);
    expect(missing.code).to.not.equal(0);
    expect(missing.stderr).to.include("required option '--id <keyId>' not specified");

    const theKey = await runCli(['apikey', 'revoke', '--tenant', tenantId, '--id', 'ck_AbCdEfGhIjKlMnOp'], env);
    expect(theKey.code).to.equal(2);
    expect(theKey.stderr).to.include("--id takes the key's id, not the key itself: find it with `clarion apikey list --tenant");

    const unknownKey = await runCli(['apikey', 'revoke', '--tenant', tenantId, '--id', '00000000-0000-4000-8000-000000000000'], env);
    expect(unknownKey.code).to.equal(1);
    expect(unknownKey.stderr).to.include(`Tenant ${tenantId} has no API key 00000000-0000-4000-8000-000000000000: see \`clarion apikey list --tenant ${tenantId}\``);

    const unknownTenant = await runCli(['apikey', 'list', '--tenant', 'acme'], env);
    expect(unknownTenant.code).to.equal(1);
    expect(unknownTenant.stderr).to.include('No tenant has id acme: pass the tenantId that `clarion tenant create` printed');

    const blankName = await runCli(['apikey', 'create', '--tenant', tenantId, '--name', '  '], env);
    expect(blankName.code).to.equal(2);
    expect(blankName.stderr).to.include('--name must be 1 to 100 characters');
  });
});

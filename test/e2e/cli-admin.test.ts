import { expect } from 'chai';
import { createTenant } from '../../core/tenants.ts';
import { TEST_SECRET } from '../support/clarion.ts';
import { freshDatabase, type TestDatabase } from '../support/postgres.ts';
import { runCli } from '../support/spawn.ts';
import { verifyPassword } from '../../core/accounts/passwords.ts';

/** `clarion admin create`: the first console user, made with one command. */
describe('clarion admin create (e2e)', function () {
  this.timeout(90_000);
  let db: TestDatabase;
  let env: Record<string, string>;
  let tenantId: string;

  before(async () => {
    db = await freshDatabase();
    env = { DATABASE_URL: db.url, CLARION_SECRET_KEY: TEST_SECRET, CLARION_LOG_LEVEL: 'warn' };
    ({ tenant: { id: tenantId } } = await createTenant(db.knex, { name: 'Acme' }));
  });
  after(() => db?.drop());

  it('creates the owner of a tenant with a generated password, shown once, stored as scrypt', async () => {
    const res = await runCli(['admin', 'create', '--tenant', tenantId, '--email', 'Ada@Acme.example', '--role', 'owner', '--json'], env);
    expect(res.code, res.stderr).to.equal(0);
    const out = JSON.parse(res.stdout);
    expect(out).to.include({ email: 'ada@acme.example', role: 'owner', tenantId });
    expect(out.password).to.have.length(24);
    const row = await db.knex('admin_users').where({ id: out.userId }).first();
    expect(row.password_hash).to.not.include(out.password);
    expect(await verifyPassword(out.password, row.password_hash)).to.equal(true);
    const audit = await db.knex('audit_logs').where({ tenant_id: tenantId, action: 'admin_user.created' }).first();
    expect(audit).to.include({ actor: 'cli', target_id: out.userId });
  });

  it('takes the password from CLARION_ADMIN_PASSWORD, and makes operators', async () => {
    const res = await runCli(['admin', 'create', '--operator', '--email', 'ops@clarion.example'], { ...env, CLARION_ADMIN_PASSWORD: 'a long operator password' });
    expect(res.code, res.stderr).to.equal(0);
    expect(res.stdout).to.match(/Console user ops@clarion.example \(operator\) created: [0-9a-f-]{36}\. Log in at http:\/\/127\.0\.0\.1:8080\/admin\/login/);
    expect(res.stdout).to.not.include('a long operator password');
    const row = await db.knex('admin_users').where({ email: 'ops@clarion.example' }).first();
    expect(row).to.include({ tenant_id: null, role: 'operator' });
  });

  it('explains what is wrong: no tenant, a duplicate', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--email', 'x@acme.example'], /Pass --tenant ID \(a tenant user\) or --operator/],
      [['--tenant', tenantId, '--email', 'x@acme.example', '--password', 'short'], /password must be at least 12 characters/],
      [['--tenant', tenantId, '--email', 'ada@acme.example'], /This tenant has a user ada@acme.example already/],
    ];
    for (const [args, message] of cases) {
      const res = await runCli(['admin', 'create', ...args], env);
      expect(res.code, args.join(' ')).to.not.equal(0);
      expect(res.stderr, args.join(' ')).to.match(message);
    }
  });

  it('prints a one-time password reset link (clarion admin reset), refusing an unknown user', async () => {
    const res = await runCli(['admin', 'reset', '--operator', '--email', 'ops@clarion.example'], env);
    expect(res.code, res.stderr).to.equal(0);
    const token = /\/admin\/password\/reset\/([A-Za-z0-9_-]{43})/.exec(res.stdout)?.[1];
    expect(token, res.stdout).to.be.a('string');
    const stored = await db.knex('admin_tokens').where({ kind: 'password_reset' }).first();
    expect(stored.token_hash).to.not.include(token);
    const unknown = await runCli(['admin', 'reset', '--tenant', tenantId, '--email', 'nobody@acme.example'], env);
    expect(unknown.code).to.not.equal(0);
    expect(unknown.stderr).to.match(/No console user nobody@acme.example in this tenant/);
  });
});

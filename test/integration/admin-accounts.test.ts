import { expect } from 'chai';
import request from 'supertest';
import { LOCK_AFTER_FAILURES } from '../../core/accounts/service.ts';
import { testApp, type TestApp } from '../support/clarion.ts';
import { ManualClock } from '../support/clock.ts';
import { adminUser, csrfOf, loggedIn, PASSWORD } from '../support/admin.ts';

/** Console accounts over HTTP: login, sessions, CSRF, lockout, roles, as the server enforces them. */
describe('admin console: accounts and sessions', () => {
  let t: TestApp;
  let tenantId: string;
  const clock = new ManualClock();
  before(async () => {
    t = await testApp({ clock });
    ({ tenantId } = await t.tenant('Acme'));
    await adminUser(t, tenantId, 'owner');
    await adminUser(t, tenantId, 'viewer');
  });
  after(() => t.close());

  it('sends a visitor without a session to the login page, and back after logging in', async () => {
    const res = await request(t.callback).get('/admin/events?status=failed').expect(303);
    expect(res.headers.location).to.equal('/admin/login?next=%2Fadmin%2Fevents%3Fstatus%3Dfailed');
    const agent = request.agent(t.callback);
    const page = await agent.get(res.headers.location).expect(200);
    expect(page.text).to.include('value="/admin/events?status=failed"');
    const login = await agent.post('/admin/login').type('form').send({ _csrf: csrfOf(page.text), email: 'OWNER@acme.example ', password: PASSWORD, next: '/admin/events?status=failed' }).expect(303);
    expect(login.headers.location).to.equal('/admin/events?status=failed');
    const cookie = (login.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('clarion_session='))!;
    expect(cookie).to.match(/; Path=\/admin; SameSite=Lax; HttpOnly; Max-Age=28800$/);
    expect(cookie).to.not.include('Secure');
  });

  it('never sends the user to another site after login', async () => {
    const agent = request.agent(t.callback);
    const page = await agent.get('/admin/login').expect(200);
    for (const next of ['//evil.example/admin', 'https://evil.example', '/admin\\@evil.example', '/adminx']) {
      const res = await agent.post('/admin/login').type('form').send({ _csrf: csrfOf(page.text), email: 'owner@acme.example', password: PASSWORD, next }).expect(303);
      expect(res.headers.location, next).to.equal('/admin');
    }
  });

  it('refuses a login form posted without its token, or with another one', async () => {
    const agent = request.agent(t.callback);
    await agent.get('/admin/login').expect(200);
    const res = await agent.post('/admin/login').type('form').send({ email: 'owner@acme.example', password: PASSWORD }).expect(403);
    expect(res.text).to.include('CLARION_ERR_ADMIN_CSRF');
    await agent.post('/admin/login').type('form').send({ _csrf: 'x'.repeat(43), email: 'owner@acme.example', password: PASSWORD }).expect(403);
    // A token from another visitor's cookie does not fit this one's.
    const other = await request(t.callback).get('/admin/login').expect(200);
    await agent.post('/admin/login').type('form').send({ _csrf: csrfOf(other.text), email: 'owner@acme.example', password: PASSWORD }).expect(403);
  });

  it('refuses a form of a session posted without the session token, changing nothing', async () => {
    const { agent, csrf } = await loggedIn(t, 'owner@acme.example');
    await agent.post('/admin/account/password').type('form').send({ current: PASSWORD, password: 'a brand new password' }).expect(403);
    await agent.post('/admin/account/password').type('form').set('x-csrf-token', 'nope').send({ current: PASSWORD, password: 'a brand new password' }).expect(403);
    // The password is unchanged: logging in with it still works.
    await loggedIn(t, 'owner@acme.example');
    await agent.post('/admin/logout').type('form').send({ _csrf: csrf }).expect(303);
    await agent.get('/admin/account').expect(303);
  });

  it('answers a wrong password and an unknown email the same way', async () => {
    const agent = request.agent(t.callback);
    const page = await agent.get('/admin/login').expect(200);
    const wrong = await agent.post('/admin/login').type('form').send({ _csrf: csrfOf(page.text), email: 'viewer@acme.example', password: 'not the password' }).expect(401);
    const unknown = await agent.post('/admin/login').type('form').send({ _csrf: csrfOf(page.text), email: 'nobody@acme.example', password: 'not the password' }).expect(401);
    expect(wrong.text).to.include('The email or password is wrong.');
    expect(unknown.text).to.include('The email or password is wrong.');
    expect(wrong.headers['set-cookie'] ?? []).to.not.satisfy((c: string[]) => c.some((x) => x.startsWith('clarion_session=')));
  });

  it('locks an account after repeated failures, even for the right password, with a lock that doubles', async () => {
    await adminUser(t, tenantId, 'editor', 'locked@acme.example');
    const agent = request.agent(t.callback);
    const csrf = csrfOf((await agent.get('/admin/login').expect(200)).text);
    const attempt = (password: string) => agent.post('/admin/login').type('form').send({ _csrf: csrf, email: 'locked@acme.example', password });
    for (let i = 1; i < LOCK_AFTER_FAILURES; i++) await attempt('wrong').expect(401);
    const locked = await attempt('wrong').expect(429);
    expect(locked.text).to.include('this account is locked until 2040-01-02 09:01:00Z');
    await attempt(PASSWORD).expect(429);
    clock.advance(61_000);
    // One more failure after the lock: two minutes this time.
    await attempt('wrong').expect(429);
    const second = await t.db.knex('admin_users').where({ email: 'locked@acme.example' }).first();
    expect(new Date(second.locked_until).getTime() - clock.now().getTime()).to.equal(120_000);
    clock.advance(121_000);
    await attempt(PASSWORD).expect(303);
    const after = await t.db.knex('admin_users').where({ email: 'locked@acme.example' }).first();
    expect(after).to.include({ failed_logins: 0, locked_until: null });
    const audit = await t.db.knex('audit_logs').where({ action: 'admin_user.locked', target_id: after.id }).select('summary');
    expect(audit.map((a) => a.summary.minutes)).to.deep.equal([1, 2]);
  });

  it('ends a session after its idle lifetime', async () => {
    await adminUser(t, tenantId, 'viewer', 'idle@acme.example');
    const { agent } = await loggedIn(t, 'idle@acme.example');
    clock.advance(t.services.config.adminSessionTtlMs + 1000);
    await agent.get('/admin/account').expect(303);
  });

  it('stores only a hash of the session token', async () => {
    const agent = request.agent(t.callback);
    const csrf = csrfOf((await agent.get('/admin/login').expect(200)).text);
    const res = await agent.post('/admin/login').type('form').send({ _csrf: csrf, email: 'viewer@acme.example', password: PASSWORD }).expect(303);
    const token = decodeURIComponent(/clarion_session=([^;]+)/.exec((res.headers['set-cookie'] as unknown as string[]).join('\n'))![1]);
    const rows = await t.db.knex('admin_sessions').select('id');
    expect(rows.map((r) => r.id)).to.not.include(token);
    const user = await t.db.knex('admin_users').where({ email: 'viewer@acme.example' }).first();
    expect(user.password_hash).to.match(/^scrypt\$32768\$8\$1\$/);
  });
});

describe('admin console: behind TLS', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp({ env: { CLARION_PUBLIC_URL: 'https://clarion.acme.example' } });
    const { tenantId } = await t.tenant('Acme');
    await adminUser(t, tenantId, 'owner');
  });
  after(() => t.close());

  it('marks its cookies Secure when the public URL is https', async () => {
    const agent = request.agent(t.callback);
    const page = await agent.get('/admin/login').expect(200);
    expect(String(page.headers['set-cookie'])).to.match(/clarion_login_csrf=[^;]+; Path=\/admin; SameSite=Lax; HttpOnly; Secure/);
    expect(page.headers['content-security-policy']).to.include("frame-ancestors 'none'");
    const res = await request(t.callback).post('/admin/login').set('cookie', `clarion_login_csrf=${csrfOf(page.text)}`).type('form').send({ _csrf: csrfOf(page.text), email: 'owner@acme.example', password: PASSWORD }).expect(303);
    expect(String(res.headers['set-cookie'])).to.match(/clarion_session=[^;]+; Path=\/admin; SameSite=Lax; HttpOnly; Secure; Max-Age=/);
  });
});

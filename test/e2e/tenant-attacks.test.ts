import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import request from 'supertest';
import { createServices } from '../../core/services.ts';
import { createGateway } from '../../core/gateway/app.ts';
import { silentLog } from '../support/postgres.ts';
import { testApp, testConfig, type TestApp } from '../support/clarion.ts';
import { SmtpSink } from '../support/smtp.ts';

/**
 * A tenant is hostile to the operator: these are the attacks a tenant's API key can run through
 * provider configurations, each refused. The servers here are what the attacker controls (an
 * SMTP server that logs the AUTH exchange) or what it must not reach (a loopback HTTP server
 * standing for an internal service): they must learn or receive nothing.
 */
describe('tenant attacks through provider configurations (e2e)', () => {
  let sink: SmtpSink;
  before(async () => {
    sink = new SmtpSink();
    await sink.start();
  });
  after(() => sink.stop());

  const smtp = (password: unknown) => ({ channel: 'email', adapter: 'smtp', config: { host: '127.0.0.1', port: sink.port, from: 'evil@attacker.example', user: 'x', password } });

  describe('secret references are the operator\'s', () => {
    let t: TestApp;
    let key: string;
    let tenantId: string;
    before(async () => {
      t = await testApp();
      ({ apiKey: key, tenantId } = await t.tenant('Mallory'));
    });
    after(async () => {
      await t.services.delivery.close();
      await t.close();
    });
    const call = (method: 'post' | 'patch' | 'get', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${key}`);

    it('refuses env: and file: references at save when the operator allows none (the default), storing nothing', async () => {
      for (const reference of ['env:DATABASE_URL', 'env:CLARION_SECRET_KEY', 'file:/etc/passwd', 'file:/proc/self/environ', 'env:PATH']) {
        const res = await call('post', '/v1/providers').send(smtp(reference)).expect(422);
        expect(res.body.code, reference).to.equal('CLARION_ERR_PROVIDER_SECRET_REF_NOT_ALLOWED');
        expect(res.body.errors).to.deep.equal([{ pointer: '/config/password', message: 'is a secret reference the operator does not allow (CLARION_SECRET_REFS): give the value itself' }]);
      }
      expect(await t.db.knex('provider_configs').where({ tenant_id: tenantId }).count('* as n').first()).to.deep.equal({ n: 0 });
    });

    it('refuses a reference slipped in by PATCH, keeping the stored value', async () => {
      const created = await call('post', '/v1/providers').send(smtp('plain-password')).expect(201);
      const res = await call('patch', `/v1/providers/${created.body.id}`).send({ config: { password: 'env:DATABASE_URL' } }).expect(422);
      expect(res.body.code).to.equal('CLARION_ERR_PROVIDER_SECRET_REF_NOT_ALLOWED');
      expect((await t.services.providers.resolvedConfig(tenantId, created.body.id)).password).to.equal('plain-password');
    });

    it('sends a look-alike (ENV:..., a space before env:) as the literal text it is, never resolved', async () => {
      sink.auths.length = 0;
      for (const literal of ['ENV:DATABASE_URL', ' env:DATABASE_URL']) {
        const created = await call('post', '/v1/providers').send(smtp(literal)).expect(201);
        await call('post', `/v1/providers/${created.body.id}/test`).send({ to: 'a@attacker.example' });
      }
      expect(sink.auths.map((a) => a.password)).to.deep.equal(['ENV:DATABASE_URL', ' env:DATABASE_URL']);
      expect(JSON.stringify(sink.auths)).to.not.include('postgres');
    });
  });

  describe('with patterns the operator set (CLARION_SECRET_REFS)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'clarion-refs-'));
    let t: TestApp;
    let a: { apiKey: string; tenantId: string };
    let b: { apiKey: string; tenantId: string };
    const envName = (tenantId: string) => `CLARION_TENANT_${tenantId.replaceAll('-', '_')}_SMTP_PASSWORD`;
    before(async () => {
      t = await testApp({ env: { CLARION_SECRET_REFS: `env:CLARION_TENANT_{tenant}_*,file:${dir}/{tenant}/*` } });
      a = await t.tenant('A');
      b = await t.tenant('B');
      process.env[envName(a.tenantId)] = 'a-secret';
      process.env[envName(b.tenantId)] = 'b-secret';
    });
    after(async () => {
      delete process.env[envName(a.tenantId)];
      delete process.env[envName(b.tenantId)];
      await t.services.delivery.close();
      await t.close();
    });
    const call = (who: { apiKey: string }, method: 'post' | 'get', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${who.apiKey}`);

    it('resolves a tenant\'s own namespace, and refuses another tenant\'s and everything else', async () => {
      sink.auths.length = 0;
      const own = await call(a, 'post', '/v1/providers').send(smtp(`env:${envName(a.tenantId)}`)).expect(201);
      await call(a, 'post', `/v1/providers/${own.body.id}/test`).send({ to: 'a@a.example' });
      expect(sink.auths.map((x) => x.password)).to.deep.equal(['a-secret']);
      for (const reference of [`env:${envName(b.tenantId)}`, 'env:DATABASE_URL', `file:${dir}/${b.tenantId}/key`, `file:${dir}/${a.tenantId}/../${b.tenantId}/key`]) {
        const res = await call(a, 'post', '/v1/providers').send(smtp(reference)).expect(422);
        expect(res.body.code, reference).to.equal('CLARION_ERR_PROVIDER_SECRET_REF_NOT_ALLOWED');
      }
    });

    it('reads an allowed file, but not through a link that leads out of the allowed place', async () => {
      const mine = path.join(dir, a.tenantId);
      const theirs = path.join(dir, b.tenantId);
      for (const d of [mine, theirs]) await import('node:fs/promises').then((fs) => fs.mkdir(d, { recursive: true }));
      writeFileSync(path.join(mine, 'password'), 'from-a-file\n');
      writeFileSync(path.join(theirs, 'password'), 'b-file-secret\n');
      symlinkSync(path.join(theirs, 'password'), path.join(mine, 'sneaky'));
      const good = await call(a, 'post', '/v1/providers').send(smtp(`file:${mine}/password`)).expect(201);
      expect((await t.services.providers.resolvedConfig(a.tenantId, good.body.id)).password).to.equal('from-a-file');
      // The link's name matches the pattern, so it is saved; where it leads does not, so it is never read.
      const sneaky = await call(a, 'post', '/v1/providers').send(smtp(`file:${mine}/sneaky`)).expect(201);
      const err = await t.services.providers.resolvedConfig(a.tenantId, sneaky.body.id).catch((e) => e);
      expect(err.code).to.equal('CLARION_ERR_PROVIDER_SECRET_REF_NOT_ALLOWED');
      sink.auths.length = 0;
      const res = await call(a, 'post', `/v1/providers/${sneaky.body.id}/test`).send({ to: 'a@a.example' }).expect(422);
      expect(res.body).to.include({ code: 'CLARION_ERR_PROVIDER_TEST_FAILED', errorClass: 'config' });
      expect(sink.auths).to.have.length(0);
    });

    it('stops resolving, loudly, once the operator removes the pattern', async () => {
      const saved = await call(a, 'post', '/v1/providers').send(smtp(`env:${envName(a.tenantId)}`)).expect(201);
      // The same database, served by a process whose operator no longer allows references.
      const strict = createServices(testConfig(t.db), t.db.knex, silentLog);
      await strict.ready();
      try {
        sink.auths.length = 0;
        const res = await request(createGateway(strict).app.callback()).post(`/v1/providers/${saved.body.id}/test`).set('authorization', `Bearer ${a.apiKey}`).send({ to: 'a@a.example' }).expect(422);
        expect(res.body).to.include({ code: 'CLARION_ERR_PROVIDER_TEST_FAILED', errorClass: 'config', errorCode: 'CLARION_ERR_PROVIDER_SECRET_REF_NOT_ALLOWED' });
        expect(res.body.detail).to.match(/secret reference the operator does not allow/);
        expect(sink.auths, 'nothing reached the server').to.have.length(0);
      } finally {
        await strict.delivery.close();
        await strict.outbound.close();
      }
    });
  });

  describe('no tenant setting reaches a private, loopback or metadata address (SSRF)', () => {
    let t: TestApp;
    let key: string;
    let internal: http.Server;
    let hits: string[];
    let port: number;
    before(async () => {
      // The operator's default outside a laptop: public addresses only.
      t = await testApp({ env: { CLARION_OUTBOUND_ALLOWLIST: '', CLARION_OUTBOUND_ALLOW_PRIVATE: 'false' } });
      ({ apiKey: key } = await t.tenant('Mallory'));
      hits = [];
      internal = http.createServer((req, res) => {
        hits.push(`${req.method} ${req.url}`);
        res.end('{"ok":true}');
      });
      await new Promise<void>((resolve) => internal.listen(0, '127.0.0.1', resolve));
      port = (internal.address() as AddressInfo).port;
    });
    after(async () => {
      await t.services.delivery.close();
      await new Promise<void>((resolve) => internal.close(() => resolve()));
      await t.close();
    });
    const call = (method: 'post' | 'patch', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${key}`);

    it('refuses literal forbidden destinations at save, naming the field', async () => {
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ channel: 'webhook', adapter: 'webhook', config: { url: `http://127.0.0.1:${port}/admin` } }, '/config/url'],
        [{ channel: 'webhook', adapter: 'webhook', config: { url: 'http://169.254.169.254/latest/meta-data/iam/' } }, '/config/url'],
        [{ channel: 'webhook', adapter: 'webhook', config: { url: 'http://[::ffff:a9fe:a9fe]/latest/' } }, '/config/url'],
        [{ channel: 'webhook', adapter: 'webhook', config: { url: 'http://2852039166/latest/' } }, '/config/url'],
        [{ channel: 'chat', adapter: 'teams', config: { webhookUrl: 'https://10.0.0.5/hook' } }, '/config/webhookUrl'],
        [{ channel: 'chat', adapter: 'slack', config: { botToken: 'xoxb-1-2-3', apiBaseUrl: 'https://127.0.0.1:8443/api' } }, '/config/apiBaseUrl'],
        [{ channel: 'email', adapter: 'smtp', config: { host: '127.0.0.1', port: sink.port, from: 'a@b.example' } }, '/config/host'],
        [{ channel: 'email', adapter: 'smtp', config: { host: '169.254.169.254', from: 'a@b.example' } }, '/config/host'],
      ];
      for (const [body, pointer] of cases) {
        const res = await call('post', '/v1/providers').send(body).expect(422);
        expect(res.body.code, JSON.stringify(body)).to.equal('CLARION_ERR_PROVIDER_DESTINATION_NOT_ALLOWED');
        expect(res.body.errors[0].pointer).to.equal(pointer);
      }
      const pushHosts = await call('post', '/v1/providers').send({
        channel: 'push', adapter: 'web-push',
        config: { subject: 'mailto:a@b.example', publicKey: 'B'.repeat(87), privateKey: 'a'.repeat(43), pushHosts: ['fcm.googleapis.com', '169.254.169.254'] },
      }).expect(422);
      expect(pushHosts.body.errors[0].pointer).to.equal('/config/pushHosts/1');
      expect(hits).to.deep.equal([]);
    });

    it('refuses the tenant\'s network settings of old (allowPrivate, allowList on the webhook adapter)', async () => {
      const res = await call('post', '/v1/providers').send({ channel: 'webhook', adapter: 'webhook', config: { url: 'https://hooks.example.com/x', allowPrivate: true, allowList: ['169.254.169.254'] } }).expect(422);
      expect(res.body.code).to.equal('CLARION_ERR_PROVIDER_INVALID_CONFIG');
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).to.include.members(['/config/allowPrivate', '/config/allowList']);
    });

    it('refuses at connect time a host name that resolves to loopback: the internal server receives nothing', async () => {
      // Names pass the save-time check (they are resolved at each connection).
      const webhook = await call('post', '/v1/providers').send({ channel: 'webhook', adapter: 'webhook', config: { url: `http://localhost:${port}/internal` } }).expect(201);
      const tested = await call('post', `/v1/providers/${webhook.body.id}/test`).send({ to: 'x' }).expect(422);
      expect(tested.body).to.include({ errorClass: 'config', errorCode: 'DESTINATION_REFUSED' });
      const mail = await call('post', '/v1/providers').send({ channel: 'email', adapter: 'smtp', config: { host: 'localhost', port: sink.port, from: 'a@b.example', user: 'u', password: 'p' } }).expect(201);
      const before = sink.connections;
      const smtpTest = await call('post', `/v1/providers/${mail.body.id}/test`).send({ to: 'x@y.example' }).expect(422);
      expect(smtpTest.body).to.include({ errorClass: 'config', errorCode: 'DESTINATION_REFUSED' });
      expect(sink.connections).to.equal(before);
      expect(hits).to.deep.equal([]);
    });

    it('refuses at connect time Teams and Slack URLs whose names resolve to loopback, and web push endpoints there', async () => {
      const teams = await call('post', '/v1/providers').send({ channel: 'chat', adapter: 'teams', config: { webhookUrl: `https://localhost:${port}/teams` } }).expect(201);
      expect((await call('post', `/v1/providers/${teams.body.id}/test`).send({ to: 'x' }).expect(422)).body).to.include({ errorClass: 'config', errorCode: 'DESTINATION_REFUSED' });
      const slack = await call('post', '/v1/providers').send({ channel: 'chat', adapter: 'slack', config: { botToken: 'xoxb-1-2-3', defaultChannel: '#ops', apiBaseUrl: `https://localhost:${port}/api` } }).expect(201);
      expect((await call('post', `/v1/providers/${slack.body.id}/test`).send({ to: 'x' }).expect(422)).body).to.include({ errorClass: 'config' });
      expect(hits).to.deep.equal([]);
    });

    it('delivers nothing to a subscriber\'s own webhook address on loopback (a permanent failure of that recipient)', async () => {
      await call('post', '/v1/providers').send({ channel: 'webhook', adapter: 'webhook', config: { url: 'https://hooks.example.com/unused', allowSubscriberUrls: true } }).expect(201);
      await request(t.callback).put('/v1/workflows/hook.test').set('authorization', `Bearer ${key}`).send({
        trigger: 'com.attacker.hook', channels: ['webhook'], recipients: '/data/recipients', templates: { webhook: { body: '{"x": 1}' } },
      }).expect((res) => expect(res.status).to.be.oneOf([200, 201]));
      await request(t.callback).patch('/v1/tenant').set('authorization', `Bearer ${key}`).send({ settings: { acceptUnvalidatedTypes: true } }).expect(200);
      await request(t.callback).post('/v1/events').set('authorization', `Bearer ${key}`).set('content-type', 'application/cloudevents+json').send({
        specversion: '1.0', id: 'e1', source: '/attacker', type: 'com.attacker.hook',
        data: { recipients: [{ id: 'victim', chat: { webhook: { url: `http://localhost:${port}/internal` } } }] },
      }).expect(202);
      await t.runJobs();
      const [delivery] = await t.db.knex('deliveries').where({ channel: 'webhook' });
      expect(delivery).to.include({ status: 'failed', error_class: 'permanent', error_code: 'DESTINATION_REFUSED' });
      expect(hits).to.deep.equal([]);
    });
  });
});

import { expect } from 'chai';
import request from 'supertest';
import { testApp, type TestApp } from '../support/clarion.ts';

describe('/v1/subscribers and /v1/workflows', () => {
  let t: TestApp;
  let key: string;
  before(async () => {
    t = await testApp();
    ({ apiKey: key } = await t.tenant());
  });
  after(() => t.close());
  const call = (method: 'get' | 'put' | 'delete', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${key}`);

  describe('subscribers', () => {
    it('creates, replaces, reads and lists subscribers', async () => {
      const created = await call('put', '/v1/subscribers/u-1').send({ name: 'Ada', email: 'ada@example.com', phone: '+33612345678', locale: 'fr-CA', timezone: 'America/Montreal', teams: ['ops'], data: { plan: 'pro' } }).expect(201);
      expect(created.body).to.include({ subscriberId: 'u-1', name: 'Ada', locale: 'fr-CA' });
      const replaced = await call('put', '/v1/subscribers/u-1').send({ name: 'Ada L.', email: 'ada@example.com' }).expect(200);
      expect(replaced.body.phone).to.equal(null);
      expect(replaced.body.teams).to.deep.equal([]);
      await call('put', '/v1/subscribers/u-2').send({ name: 'Bob', teams: ['ops'] }).expect(201);
      const list = await call('get', '/v1/subscribers?limit=1').expect(200);
      expect(list.body.items.map((s: { subscriberId: string }) => s.subscriberId)).to.deep.equal(['u-1']);
      const next = await call('get', `/v1/subscribers?limit=1&cursor=${list.body.nextCursor}`).expect(200);
      expect(next.body.items.map((s: { subscriberId: string }) => s.subscriberId)).to.deep.equal(['u-2']);
      const team = await call('get', '/v1/subscribers?team=ops').expect(200);
      expect(team.body.items.map((s: { subscriberId: string }) => s.subscriberId)).to.deep.equal(['u-2']);
    });

    it('refuses invalid fields, naming each', async () => {
      const res = await call('put', '/v1/subscribers/u-3').send({ email: 'not-an-email', phone: '0612', locale: 'french!', devices: [{ platform: 'pager' }] }).expect(422);
      const pointers = res.body.errors.map((e: { pointer: string }) => e.pointer);
      expect(pointers).to.include.members(['/email', '/phone', '/locale', '/devices/0/platform']);
      const tz = await call('put', '/v1/subscribers/u-3').send({ timezone: 'Mars/Olympus' }).expect(422);
      expect(tz.body.errors[0].pointer).to.equal('/timezone');
      await call('put', '/v1/subscribers/bad%20id').send({}).expect(422);
    });

    it('erases personal data on DELETE and keeps an anonymous audit trail', async () => {
      await call('put', '/v1/subscribers/gone').send({ name: 'Gone', email: 'gone@example.com' }).expect(201);
      const row = await t.db.knex('subscribers').where({ external_id: 'gone' }).first();
      await call('delete', '/v1/subscribers/gone').expect(204);
      await call('get', '/v1/subscribers/gone').expect(404);
      const erased = await t.db.knex('subscribers').where({ id: row.id }).first();
      expect(erased).to.include({ name: null, email: null, phone: null });
      expect(erased.external_id).to.match(/^erased~[0-9a-f]{64}$/);
      expect(erased.erased_at).to.not.equal(null);
      const audit = await call('get', `/v1/audit?targetId=${row.id}`).expect(200);
      expect(audit.body.items.map((a: { action: string }) => a.action)).to.deep.equal(['subscriber.erased', 'subscriber.created']);
      expect(JSON.stringify(audit.body)).to.not.include('gone@example.com');
      await call('delete', '/v1/subscribers/gone').expect(404);
    });
  });

  describe('workflows', () => {
    it('lists the bundled workflows as defaults', async () => {
      const res = await call('get', '/v1/workflows').expect(200);
      const keys = res.body.items.map((w: { key: string }) => w.key);
      expect(keys).to.include.members(['quotation.status_changed', 'approval.requested', 'payment.requested', 'issue.assigned', 'issue.resolved', 'issue.comment_added', 'security.suspicious_login', 'incident.escalated', 'digest.daily']);
      expect(res.body.items.every((w: { source: string }) => w.source === 'bundled')).to.equal(true);
    });

    it('saves a workflow with defaults, overrides a bundled one, and reverts on delete', async () => {
      // Channels without templates would fail every delivery: refused, naming each.
      const bare = await call('put', '/v1/workflows/order.shipped').send({ trigger: 'com.acme.order.shipped', channels: ['email', 'in_app'], fallbacks: { email: ['sms'] } }).expect(422);
      expect(bare.body.code).to.equal('CLARION_ERR_WORKFLOW_TEMPLATE_MISSING');
      expect(bare.body.errors.map((e: { pointer: string }) => e.pointer)).to.deep.equal(['/channels/0', '/channels/1', '/fallbacks/email/0']);
      await call('get', '/v1/workflows/order.shipped').expect(404);
      const templates = { email: { subject: 'Order {{ data.orderId }}', text: 'Shipped' }, in_app: { body: 'Order {{ data.orderId }} shipped' }, sms: { text: 'Order {{ data.orderId }} shipped' } };
      const saved = await call('put', '/v1/workflows/order.shipped').send({ trigger: 'com.acme.order.shipped', channels: ['email', 'in_app'], fallbacks: { email: ['sms'] }, templates }).expect(201);
      expect(saved.body).to.include({ key: 'order.shipped', source: 'tenant', priority: 'normal', recipients: '/data/recipients', enabled: true });
      await call('put', '/v1/workflows/order.shipped').send({ trigger: 'com.acme.order.shipped', channels: ['sms'] }).expect(200);
      const override = await call('put', '/v1/workflows/issue.assigned').send({ trigger: 'issue.assigned', channels: ['in_app'] }).expect(201);
      expect(override.body.source).to.equal('tenant');
      await call('delete', '/v1/workflows/issue.assigned').expect(204);
      expect((await call('get', '/v1/workflows/issue.assigned').expect(200)).body.source).to.equal('bundled');
      const bundled = await call('delete', '/v1/workflows/issue.assigned').expect(409);
      expect(bundled.body.code).to.equal('CLARION_ERR_WORKFLOW_BUNDLED');
      await call('get', '/v1/workflows/nope').expect(404);
    });

    it('refuses an invalid workflow, naming each field', async () => {
      const res = await call('put', '/v1/workflows/bad').send({ channels: ['email', 'fax'], priority: 'urgent', fallbacks: { email: ['email'] } }).expect(422);
      const pointers = res.body.errors.map((e: { pointer: string }) => e.pointer);
      expect(pointers).to.include.members(['/trigger', '/channels/1', '/priority']);
      const self = await call('put', '/v1/workflows/bad').send({ trigger: 't', channels: ['email'], fallbacks: { email: ['email'] } }).expect(422);
      expect(self.body.errors[0].pointer).to.equal('/fallbacks/email');
      const plugin = await call('put', '/v1/workflows/bad').send({ trigger: 't', channels: ['email'], plugins: { teleport: {} } }).expect(422);
      expect(plugin.body.errors[0].pointer).to.equal('/plugins/teleport');
      await call('put', '/v1/workflows/Bad%20Key').send({ trigger: 't', channels: ['email'] }).expect(422);
    });
  });
});

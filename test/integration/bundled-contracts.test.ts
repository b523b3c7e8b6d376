import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import request from 'supertest';
import { BundledTemplates } from '../../core/templates/bundled.ts';
import { loadTranslations } from '../../core/templates/i18n.ts';
import { testApp, type TestApp } from '../support/clarion.ts';
import { minimalInstance } from '../support/minimal-instance.ts';

/**
 * A newcomer's first events: every bundled workflow's trigger type is taken for a brand-new
 * tenant (no contract registered, no opt-in) because the workflow's schema.json is its contract;
 * the contracts are discoverable; a tenant's own contract replaces the bundled one.
 */
describe('bundled contracts', () => {
  let t: TestApp;
  let key: string;
  const bundled = new BundledTemplates(loadTranslations().locales).workflows().map((w) => {
    const definition = JSON.parse(readFileSync(new URL(`../../templates/${w.key}/workflow.json`, import.meta.url), 'utf8')) as { trigger: string };
    return { key: w.key, trigger: definition.trigger, schema: w.schema! };
  });
  const post = (event: Record<string, unknown>, apiKey = key) =>
    request(t.callback).post('/v1/events').set('authorization', `Bearer ${apiKey}`).set('content-type', 'application/cloudevents+json').send(JSON.stringify({ specversion: '1.0', source: '/newcomer', ...event }));
  const get = (path: string, apiKey = key) => request(t.callback).get(path).set('authorization', `Bearer ${apiKey}`);

  before(async () => {
    t = await testApp();
    ({ apiKey: key } = await t.tenant('Newcomer'));
  });
  after(() => t.close());

  it('takes the trigger type of every bundled workflow with its minimal valid data, no contract registered', async () => {
    expect(bundled.map((w) => w.key)).to.include('quotation.status_changed');
    for (const workflow of bundled) {
      const res = await post({ id: `first-${workflow.key}`, type: workflow.trigger, data: minimalInstance(workflow.schema) });
      expect(res.status, `${workflow.trigger}: ${JSON.stringify(res.body)}`).to.equal(202);
      expect(res.body.accepted).to.have.length(1);
    }
    const stored = await t.db.knex('events').where({ ce_id: 'first-quotation.status_changed' }).first('contract_version');
    expect(stored.contract_version).to.equal(null);
  });

  it('checks the data against the bundled contract, naming the failing fields', async () => {
    const res = await post({ id: 'q-bad', type: 'quotation.status_changed', data: { recipients: ['ada'], quotation: { id: 'Q-1' }, status: 'lost' } }).expect(422);
    expect(res.body.code).to.equal('CLARION_ERR_INGEST_DATA_INVALID');
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).to.have.members(['/data/quotation/title', '/data/status']);
    // Batches too.
    const batch = await request(t.callback).post('/v1/events').set('authorization', `Bearer ${key}`).set('content-type', 'application/cloudevents-batch+json')
      .send(JSON.stringify([{ specversion: '1.0', source: '/newcomer', id: 'b-1', type: 'issue.assigned', data: { recipients: ['ada'] } }])).expect(400);
    expect(batch.body.errors.map((e: { pointer: string }) => e.pointer)).to.deep.equal(['/0/data/issue']);
  });

  it('still refuses a type that no bundled workflow triggers on, and says how to fix it', async () => {
    const res = await post({ id: 'x-1', type: 'com.acme.unknown', data: {} }).expect(422);
    expect(res.body.code).to.equal('CLARION_ERR_INGEST_NO_CONTRACT');
    expect(res.body.errors[0].message).to.match(/register one with PUT \/v1\/contracts\/com\.acme\.unknown/);
    // The bundled endpoint-disabled notice is triggered by Clarion's own type, not by its key.
    const byKey = await post({ id: 'x-2', type: 'webhook.endpoint_disabled', data: {} }).expect(422);
    expect(byKey.body.code).to.equal('CLARION_ERR_INGEST_NO_CONTRACT');
    expect(byKey.body.errors).to.deep.equal([{ pointer: '/type', message: 'has no contract: the bundled workflow webhook.endpoint_disabled is triggered by the type io.clarion.webhook.endpoint_disabled' }]);
  });

  it('lists the bundled contracts as such, and shows each one', async () => {
    const list = (await get('/v1/contracts').expect(200)).body.items as Array<Record<string, unknown>>;
    expect(list.map((c) => c.type)).to.deep.equal(bundled.map((w) => w.trigger).sort());
    for (const contract of list) expect(contract).to.include({ bundled: true, id: null, version: null, createdAt: null });
    const one = (await get('/v1/contracts/quotation.status_changed').expect(200)).body;
    expect(one).to.deep.include({ type: 'quotation.status_changed', bundled: true, workflow: 'quotation.status_changed', version: null, versions: [] });
    expect(one.schema).to.deep.equal(bundled.find((w) => w.key === 'quotation.status_changed')!.schema);
    expect((await get('/v1/contracts/io.clarion.webhook.endpoint_disabled').expect(200)).body).to.include({ bundled: true, workflow: 'webhook.endpoint_disabled' });
    // A bundled contract has no versions of the tenant's.
    const version = await get('/v1/contracts/quotation.status_changed?version=1').expect(404);
    expect(version.body.code).to.equal('CLARION_ERR_CONTRACT_NOT_FOUND');
    await get('/v1/contracts/com.acme.unknown').expect(404);
  });

  it("lets a tenant's own contract replace the bundled one, for that tenant only", async () => {
    await request(t.callback).put('/v1/contracts/quotation.status_changed').set('authorization', `Bearer ${key}`).set('content-type', 'application/json')
      .send(JSON.stringify({ type: 'object', required: ['quoteRef'], properties: { quoteRef: { type: 'string' } } })).expect(201);
    const own = (await get('/v1/contracts/quotation.status_changed').expect(200)).body;
    expect(own).to.include({ bundled: false, replacesBundled: true, version: 1 });
    const listed = ((await get('/v1/contracts').expect(200)).body.items as Array<Record<string, unknown>>).filter((c) => c.type === 'quotation.status_changed');
    expect(listed).to.have.length(1);
    expect(listed[0]).to.include({ bundled: false, version: 1 });

    // The bundled data no longer fits; the tenant's does, and records the version it was checked against.
    const refused = await post({ id: 'q-own-1', type: 'quotation.status_changed', data: minimalInstance(bundled.find((w) => w.key === 'quotation.status_changed')!.schema) }).expect(422);
    expect(refused.body.errors).to.deep.include({ pointer: '/data/quoteRef', message: 'is required' });
    await post({ id: 'q-own-2', type: 'quotation.status_changed', data: { quoteRef: 'Q-7' } }).expect(202);
    expect((await t.db.knex('events').where({ ce_id: 'q-own-2' }).first('contract_version')).contract_version).to.equal(1);

    // Another tenant still has the bundled contract.
    const other = await t.tenant('Other');
    expect((await get('/v1/contracts/quotation.status_changed', other.apiKey).expect(200)).body.bundled).to.equal(true);
    await post({ id: 'q-other', type: 'quotation.status_changed', data: { quoteRef: 'Q-7' } }, other.apiKey).expect(422);
  });
});

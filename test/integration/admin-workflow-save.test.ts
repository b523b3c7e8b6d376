import { expect } from 'chai';
import request from 'supertest';
import { testApp, type TestApp } from '../support/clarion.ts';
import { adminUser, loggedIn } from '../support/admin.ts';

/**
 * The console's workflow form shows some of a workflow's fields. Saving it changes those and
 * keeps the others as they are stored (correlation, tags, tracking...), never dropping them.
 */
describe('admin console: saving a workflow keeps the fields the form does not show', () => {
  let t: TestApp;
  let acme: { tenantId: string; apiKey: string };
  const api = (method: 'get' | 'put', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${acme.apiKey}`);

  before(async () => {
    t = await testApp();
    acme = await t.tenant('Acme', { acceptUnvalidatedTypes: true });
    await adminUser(t, acme.tenantId, 'owner');
  });
  after(() => t.close());

  it('renames a workflow from the form; correlation, tags, tracking and the read acknowledgement stay', async () => {
    await api('put', '/v1/workflows/quote.status')
      .send({
        trigger: 'com.acme.quote.status', name: 'Quote status', description: 'Old words', channels: ['in_app'],
        correlation: { key: '/data/quoteId' }, tags: ['sales'], tracking: { opens: true, clicks: true }, inAppReadAcknowledges: true,
        templates: { in_app: { title: 'Quote {{ data.quoteId }}', body: 'Now {{ data.status }}' } },
      })
      .expect(201);
    const { agent, csrf } = await loggedIn(t, 'owner@acme.example');
    await agent.post('/admin/workflows/quote.status').type('form')
      .send({
        _csrf: csrf, trigger: 'com.acme.quote.status', name: 'Quotation status', channels: ['in_app'], priority: 'high',
        recipients: '/data/recipients', enabled: 'true', retryOriginal: 'false',
        templates: JSON.stringify({ in_app: { title: 'Quotation {{ data.quoteId }}', body: 'Now {{ data.status }}' } }),
      })
      .expect(303);

    const saved = (await api('get', '/v1/workflows/quote.status').expect(200)).body;
    // What the form shows comes from the form (the emptied description is gone)...
    expect(saved).to.include({ name: 'Quotation status', priority: 'high' });
    expect(saved).to.not.have.property('description');
    expect(saved.templates.in_app.title).to.equal('Quotation {{ data.quoteId }}');
    // ...and the rest is kept.
    expect(saved.correlation).to.deep.equal({ key: '/data/quoteId' });
    expect(saved.tags).to.deep.equal(['sales']);
    expect(saved.tracking).to.deep.equal({ opens: true, clicks: true });
    expect(saved.inAppReadAcknowledges).to.equal(true);
  });

  it('refuses a form for a workflow that does not exist, as not found', async () => {
    const { agent, csrf } = await loggedIn(t, 'owner@acme.example');
    const res = await agent.post('/admin/workflows/no.such').type('form').send({ _csrf: csrf, trigger: 'com.acme.nope', channels: ['in_app'] });
    expect(res.status).to.equal(404);
  });
});

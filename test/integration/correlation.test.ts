import { expect } from 'chai';
import request from 'supertest';
import { testApp, type TestApp } from '../support/clarion.ts';
import { ManualClock } from '../support/clock.ts';

/**
 * Correlation: a workflow names what its events are about (`correlation.key`, a pointer into the
 * event); each notification carries that key, and the subscriber's in-app item of the same key is
 * updated in place (new content, unread again) rather than stacked.
 */
describe('correlation (integration)', () => {
  let t: TestApp;
  let key: string;
  let tenantId: string;
  let seq = 0;
  before(async () => {
    t = await testApp();
    ({ apiKey: key, tenantId } = await t.tenant('Acme', { acceptUnvalidatedTypes: true }));
    const templates = { in_app: { title: 'Quotation {{ data.quoteId }}: {{ data.status }}', body: 'Total {{ data.total }}' } };
    await call('put', '/v1/workflows/quote.status').send({ trigger: 'com.acme.quote.status', channels: ['in_app'], correlation: { key: '/data/quoteId' }, templates }).expect(201);
    await call('put', '/v1/workflows/quote.stacked').send({ trigger: 'com.acme.quote.stacked', channels: ['in_app'], templates }).expect(201);
  });
  after(() => t.close());
  const call = (method: 'post' | 'put' | 'get', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${key}`);
  const post = async (type: string, data: Record<string, unknown>) => {
    const res = await call('post', '/v1/events').set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: `q-${++seq}`, source: '/sales', type, data: { recipients: ['carla'], ...data } })).expect(202);
    await t.runJobsUntilIdle();
    return (await call('get', `/v1/events/${res.body.accepted[0].eventId}`).expect(200)).body.notifications[0] as { id: string; status: string };
  };
  // The in-app inbox as its API would list it (this branch has no inbox route yet: read its table).
  const inbox = () => t.db.knex('inbox_items').where({ tenant_id: tenantId }).orderBy('created_at').select('title', 'body', 'notification_id', 'read_at', 'correlation_key');

  it('updates the in-app item of a quotation in place as its status changes', async () => {
    const sent = await post('com.acme.quote.status', { quoteId: 'Q-7', status: 'sent', total: 100 });
    expect(sent.status).to.equal('delivered');
    await t.db.knex('inbox_items').where({ notification_id: sent.id }).update({ read_at: new Date() });
    const accepted = await post('com.acme.quote.status', { quoteId: 'Q-7', status: 'accepted', total: 90 });
    const other = await post('com.acme.quote.status', { quoteId: 'Q-8', status: 'sent', total: 5 });
    expect(await inbox()).to.deep.equal([
      { title: 'Quotation Q-7: accepted', body: 'Total 90', notification_id: accepted.id, read_at: null, correlation_key: 'quote.status:Q-7' },
      { title: 'Quotation Q-8: sent', body: 'Total 5', notification_id: other.id, read_at: null, correlation_key: 'quote.status:Q-8' },
    ]);
    // Both notifications stay, each delivered; only the inbox shows one item per quotation.
    expect((await call('get', `/v1/notifications/${sent.id}`).expect(200)).body.status).to.equal('delivered');
  });

  it('stacks items of a workflow without correlation, and of events without the field', async () => {
    await t.db.knex('inbox_items').where({ tenant_id: tenantId }).delete();
    await post('com.acme.quote.stacked', { quoteId: 'Q-9', status: 'sent', total: 1 });
    await post('com.acme.quote.stacked', { quoteId: 'Q-9', status: 'accepted', total: 1 });
    await post('com.acme.quote.status', { status: 'no id', total: 2 });
    await post('com.acme.quote.status', { status: 'no id', total: 3 });
    expect((await inbox()).map((i) => [i.title, i.correlation_key])).to.deep.equal([
      ['Quotation Q-9: sent', null], ['Quotation Q-9: accepted', null], ['Quotation : no id', null], ['Quotation : no id', null],
    ]);
  });

  it('refuses a correlation that is not a JSON Pointer', async () => {
    const res = await call('put', '/v1/workflows/quote.bad').send({ trigger: 'com.acme.quote.bad', channels: ['in_app'], correlation: { key: 'quoteId' } }).expect(422);
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).to.deep.equal(['/correlation/key']);
  });
});

/**
 * Correlation that replaces (`replace: true`): a newer notification of the same subscriber and key
 * cancels what earlier ones still have pending on every channel (here the email an earlier status
 * waited an hour to send), records why, and leaves what they sent; without `replace`, both send.
 */
describe('correlation replacing pending notifications (integration)', () => {
  let t: TestApp;
  let key: string;
  let seq = 0;
  const clock = new ManualClock();
  before(async () => {
    t = await testApp({ clock, env: { CLARION_DEFAULT_SANDBOX: 'true' } });
    ({ apiKey: key } = await t.tenant('Acme', { acceptUnvalidatedTypes: true }));
  });
  after(() => t.close());
  const call = (method: 'post' | 'put' | 'get', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${key}`);
  const workflow = (name: string, replace: boolean | undefined) =>
    call('put', `/v1/workflows/${name}`).send({
      trigger: `com.acme.${name}`, channels: ['in_app', 'email'], correlation: { key: '/data/quoteId', ...(replace === undefined ? {} : { replace }) },
      steps: [{ channels: ['in_app'] }, { delay: '1h' }, { channels: ['email'] }],
      templates: { in_app: { title: 'Quotation {{ data.quoteId }}: {{ data.status }}', body: '.' }, email: { subject: 'Quotation {{ data.quoteId }}: {{ data.status }}', text: '.' } },
    }).expect(201);
  const post = async (type: string, data: Record<string, unknown>) => {
    const res = await call('post', '/v1/events').set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: `r-${++seq}`, source: '/sales', type, data: { recipients: [{ id: 'dora', email: 'dora@example.com' }], ...data } })).expect(202);
    await t.runJobsUntilIdle();
    const id = (await call('get', `/v1/events/${res.body.accepted[0].eventId}`).expect(200)).body.notifications[0].id as string;
    return id;
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- API bodies, asserted field by field
  const notification = async (id: string): Promise<Record<string, any>> => (await call('get', `/v1/notifications/${id}`).expect(200)).body;
  const mails = async () => ((await call('get', '/v1/outbox?to=dora%40example.com&limit=50').expect(200)).body.items as Array<{ channel: string; subject?: string; content?: { subject?: string } }>).map((m) => m.content?.subject ?? m.subject);

  it("cancels the earlier status's pending email once a newer one is created, and says why", async () => {
    await workflow('quote.replaced', true);
    const sent = await post('com.acme.quote.replaced', { quoteId: 'Q-1', status: 'sent' });
    clock.advance(10 * 60_000);
    const accepted = await post('com.acme.quote.replaced', { quoteId: 'Q-1', status: 'accepted' });
    const other = await post('com.acme.quote.replaced', { quoteId: 'Q-2', status: 'sent' });
    const earlier = await notification(sent);
    // The in-app copy it sent stays sent; its wait for the email is cancelled.
    expect(earlier.deliveries.map((d: { channel: string; status: string }) => [d.channel, d.status])).to.deep.equal([['in_app', 'delivered']]);
    expect(earlier.decisions.at(-1)).to.deep.include({ plugin: 'cancellation', decision: 'suppress', reason: `superseded by notification ${accepted} (correlation quote.replaced:Q-1)` });
    expect((await t.db.knex('notifications').where({ id: sent }).first('workflow_steps')).workflow_steps).to.deep.include({ status: 'cancelled' });
    clock.advance(2 * 3600_000);
    await t.runJobsDueBy(clock.now());
    expect((await mails()).sort()).to.deep.equal(['Quotation Q-1: accepted', 'Quotation Q-2: sent']);
    expect((await notification(other)).decisions.map((d: { plugin: string }) => d.plugin)).to.not.include('cancellation');
  });

  it('lets both send without replace', async () => {
    await workflow('quote.kept', undefined);
    await post('com.acme.quote.kept', { quoteId: 'Q-3', status: 'sent' });
    await post('com.acme.quote.kept', { quoteId: 'Q-3', status: 'accepted' });
    clock.advance(2 * 3600_000);
    await t.runJobsDueBy(clock.now());
    expect((await mails()).filter((s) => s?.startsWith('Quotation Q-3')).sort()).to.deep.equal(['Quotation Q-3: accepted', 'Quotation Q-3: sent']);
  });

  it('refuses a replace that is not a boolean', async () => {
    const res = await call('put', '/v1/workflows/quote.bad2').send({ trigger: 'com.acme.quote.bad2', channels: ['in_app'], correlation: { key: '/data/quoteId', replace: 'yes' } }).expect(422);
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).to.deep.equal(['/correlation/replace']);
  });
});

import { expect } from 'chai';
import request from 'supertest';
import { testApp, type TestApp } from '../support/clarion.ts';

/** A plugin that fails (even with a failed query) is recorded and skipped; the notification goes on. */
describe('pipeline runner', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp();
    t.services.pipeline.register(
      {
        name: 'broken',
        optionsSchema: { type: 'object' },
        async run(ctx) {
          await ctx.db.raw('select * from no_such_table');
          return { decision: 'suppress', reason: 'never reached' };
        },
      },
      'test',
    );
  });
  after(() => t.close());

  it('records the failure and still delivers', async () => {
    const { apiKey } = await t.tenant('Acme', { acceptUnvalidatedTypes: true });
    const call = (method: 'put' | 'post' | 'get', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${apiKey}`);
    await call('put', '/v1/workflows/ping')
      .send({ trigger: 'com.acme.ping', channels: ['in_app'], plugins: { broken: {} }, templates: { in_app: { title: 'Ping', body: 'Ping {{ data.n }}' } } })
      .expect(201);
    await call('post', '/v1/events').set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: 'p-1', source: '/x', type: 'com.acme.ping', data: { n: 1, recipients: ['ada'] } }))
      .expect(202);
    await t.runJobsUntilIdle();
    const list = await call('get', '/v1/notifications?workflow=ping').expect(200);
    expect(list.body.items).to.have.length(1);
    const notification = list.body.items[0];
    expect(notification.status).to.equal('delivered');
    expect(notification.decisions[0]).to.include({ plugin: 'broken', decision: 'continue' });
    expect(notification.decisions[0].reason).to.match(/^plugin failed: .*no_such_table/);
  });
});

import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import request from 'supertest';
import { testApp, type TestApp } from '../support/clarion.ts';

/** The bundled incident workflow escalates: SMS/email/push now, a call after 5 min, on-call after 15. */
describe('bundled incident.escalated workflow', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp({ env: { CLARION_DEFAULT_SANDBOX: 'true' } });
  });
  after(() => t.close());

  it('takes the event with its bundled contract and schedules the escalation steps', async () => {
    const { apiKey } = await t.tenant('Acme');
    const sample = JSON.parse(readFileSync(new URL('../../templates/incident.escalated/sample.json', import.meta.url), 'utf8'));
    await request(t.callback).put(`/v1/subscribers/${sample.subscriber.id}`).set('authorization', `Bearer ${apiKey}`)
      .send({ name: sample.subscriber.name, email: sample.subscriber.email, phone: sample.subscriber.phone, locale: 'fr' }).expect(201);
    // No contract registered and no opt-in: the bundled schema.json is the default contract.
    await request(t.callback).post('/v1/events').set('authorization', `Bearer ${apiKey}`).set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: 'inc-1', source: '/pager', type: 'incident.escalated', data: { ...sample.data, recipients: [sample.subscriber.id] } }))
      .expect(202);
    const refused = await request(t.callback).post('/v1/events').set('authorization', `Bearer ${apiKey}`).set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: 'inc-2', source: '/pager', type: 'incident.escalated', data: { recipients: ['x'] } }));
    expect(refused.status).to.equal(422);
    await t.runJobsUntilIdle();
    const list = await request(t.callback).get('/v1/notifications?workflow=incident.escalated').set('authorization', `Bearer ${apiKey}`).expect(200);
    const notification = (await request(t.callback).get(`/v1/notifications/${list.body.items[0].id}`).set('authorization', `Bearer ${apiKey}`).expect(200)).body;
    expect(notification.decisions.map((d: { plugin: string; decision: string }) => `${d.plugin}:${d.decision}`)).to.include('escalation:schedule');
    expect(notification.escalation.steps.map((s: { channels: string[]; status: string }) => `${s.channels.join('+')}:${s.status}`)).to.deep.equal(['sms+email+push:fired', 'voice:pending', 'sms+voice:pending']);
    const sms = (await request(t.callback).get('/v1/outbox?channel=sms').set('authorization', `Bearer ${apiKey}`).expect(200)).body.items[0];
    expect(sms.content.text).to.include('Checkout API returns 502 errors');
  });
});

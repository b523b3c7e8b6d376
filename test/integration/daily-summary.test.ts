import { expect } from 'chai';
import { DateTime } from 'luxon';
import request from 'supertest';
import { testApp, type TestApp } from '../support/clarion.ts';

/** The seeds' daily summary: at the subscriber's local hour, one email listing the day's notifications. */
describe('daily summary (crontab send_daily_summaries)', () => {
  let t: TestApp;
  // A fixed clock: the hour the summary runs in cannot change under the test.
  const now = new Date();
  before(async () => {
    t = await testApp({ env: { CLARION_DEFAULT_SANDBOX: 'true' }, clock: { now: () => now } });
  });
  after(() => t.close());

  it("sends one digest.daily email per subscriber at their local hour, listing the last day's notifications", async () => {
    const { apiKey } = await t.tenant('Acme', { acceptUnvalidatedTypes: true });
    const call = (method: 'put' | 'post' | 'get', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${apiKey}`);
    const hour = DateTime.fromJSDate(now).setZone('Asia/Tokyo').hour;
    await call('put', '/v1/subscribers/kenji').send({ name: 'Kenji', email: 'kenji@acme.example', timezone: 'Asia/Tokyo', locale: 'en' }).expect(201);
    const pref = await call('put', '/v1/subscribers/kenji/preferences').send({ settings: { digest: { daily: true, hour } } });
    expect(pref.status, JSON.stringify(pref.body)).to.equal(200);
    await call('put', '/v1/subscribers/other').send({ name: 'Other', email: 'other@acme.example', timezone: 'Asia/Tokyo' }).expect(201);
    await call('put', '/v1/workflows/task').send({ trigger: 'com.acme.task', channels: ['in_app'], templates: { in_app: { title: 'Task {{ data.n }} done', body: 'Done' } } }).expect(201);
    for (let n = 1; n <= 3; n++) {
      await call('post', '/v1/events').set('content-type', 'application/cloudevents+json')
        .send(JSON.stringify({ specversion: '1.0', id: `task-${n}`, source: '/tasks', type: 'com.acme.task', data: { n, recipients: ['kenji', 'other'] } }))
        .expect(202);
    }
    await t.runJobsUntilIdle();

    expect(await t.services.notifications.runPluginTask('send_daily_summaries', {})).to.equal(1);
    await t.runJobs();
    // Once a day: running the hourly job again in the same hour sends nothing more.
    expect(await t.services.notifications.runPluginTask('send_daily_summaries', {})).to.equal(0);

    const emails = (await call('get', '/v1/outbox?channel=email').expect(200)).body.items;
    expect(emails).to.have.length(1);
    expect(emails[0].to.email).to.equal('kenji@acme.example');
    expect(emails[0].content.subject).to.match(/^Your daily summary for /);
    const body = `${emails[0].content.subject}\n${emails[0].content.text}`;
    for (let n = 1; n <= 3; n++) expect(body).to.include(`Task ${n} done`);
  });
});

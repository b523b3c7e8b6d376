import { expect } from 'chai';
import request from 'supertest';
import { testApp, type TestApp } from '../support/clarion.ts';
import { ManualClock } from '../support/clock.ts';

/** The digest that goes out says which window it covers: a 60-second digest is not "Your daily summary". */
describe('digest titles through the engine', function () {
  this.timeout(60_000);
  let t: TestApp;
  let clock: ManualClock;
  let key: string;
  let seq = 0;
  const call = (method: 'get' | 'put' | 'post', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${key}`);

  before(async () => {
    clock = new ManualClock();
    t = await testApp({ clock, env: { CLARION_DEFAULT_SANDBOX: 'true' } });
    ({ apiKey: key } = await t.tenant('Acme', { acceptUnvalidatedTypes: true }));
  });
  after(async () => {
    await t.services.templates.close();
    await t.close();
  });

  async function digestOf(workflow: string, windowSeconds: number, subscriber: { id: string; email: string; locale: string }) {
    await call('put', `/v1/workflows/${workflow}`).send({
      trigger: `com.acme.${workflow}`, priority: 'low', channels: ['email'], plugins: { digest: { windowSeconds, key: workflow } },
      templates: { email: { subject: 'Comment on {{ data.issue }}', text: 'A comment.' } },
    }).expect(201);
    for (const issue of ['OPS-1', 'OPS-2']) {
      await call('post', '/v1/events').set('content-type', 'application/cloudevents+json')
        .send(JSON.stringify({ specversion: '1.0', id: `c-${++seq}`, source: '/t', type: `com.acme.${workflow}`, data: { issue, recipients: [subscriber] } }))
        .expect(202);
      await t.runJobs();
    }
    clock.advance(windowSeconds * 1000);
    await t.runJobsDueBy(clock.now());
    const mails = (await call('get', `/v1/outbox?channel=email&to=${encodeURIComponent(subscriber.email)}`).expect(200)).body.items;
    expect(mails).to.have.length(1);
    return mails[0].content as { subject: string; text: string };
  }

  it('titles a 60-second digest after its minute, in English', async () => {
    const mail = await digestOf('minutely', 60, { id: 'ada', email: 'ada@example.com', locale: 'en' });
    expect(mail.subject).to.equal('Your summary of the last minute');
    expect(mail.text).to.match(/^Your summary of the last minute\n/);
    expect(mail.text).to.include('2 updates');
    expect(mail.text).to.include('Comment on OPS-1');
    expect(mail.text).to.not.match(/daily/i);
  });

  it('titles a two-hour digest after its hours, in French', async () => {
    const mail = await digestOf('bihourly', 7200, { id: 'zoe', email: 'zoe@example.com', locale: 'fr' });
    expect(mail.subject).to.equal('Votre résumé des 2 dernières heures');
    expect(mail.text).to.include('2 nouveautés');
  });

  it('keeps "daily summary" for a one-day digest', async () => {
    const mail = await digestOf('daily.comments', 86_400, { id: 'bea', email: 'bea@example.com', locale: 'en' });
    expect(mail.subject).to.match(/^Your daily summary for /);
  });
});

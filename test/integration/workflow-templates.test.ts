import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import request from 'supertest';
import { testApp, type TestApp } from '../support/clarion.ts';
import { ManualClock } from '../support/clock.ts';

/**
 * A workflow is saved only if every channel it can send on has a template somewhere (inline,
 * published, bundled): otherwise each delivery there would fail with a ConfigError. And the
 * README's plugin example, taken from the README itself, works as written.
 */
describe('workflows and their templates', function () {
  this.timeout(60_000);
  let t: TestApp;
  let clock: ManualClock;
  let key: string;
  let seq = 0;

  const call = (method: 'get' | 'put' | 'post', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${key}`);
  const putWorkflow = (name: string, body: unknown) => call('put', `/v1/workflows/${name}`).send(body as object);
  const pointers = (res: { body: { errors: Array<{ pointer: string }> } }) => res.body.errors.map((e) => e.pointer);

  before(async () => {
    clock = new ManualClock();
    t = await testApp({ clock, env: { CLARION_DEFAULT_SANDBOX: 'true', CLARION_PUBLIC_URL: 'https://clarion.example.com' } });
    ({ apiKey: key } = await t.tenant('Acme', { acceptUnvalidatedTypes: true }));
  });
  after(async () => {
    await t.services.templates.close();
    await t.close();
  });

  it('refuses channels, fallbacks and escalation steps without a template, naming each, and saves nothing', async () => {
    const res = await putWorkflow('incident.opened', {
      trigger: 'com.acme.incident.opened', channels: ['email', 'push'], fallbacks: { push: ['sms'] },
      plugins: { escalation: { steps: [{ delaySeconds: 0, channels: ['email'] }, { delaySeconds: 300, channels: ['sms', 'voice'] }] } },
      templates: { push: { title: 'Incident', body: '{{ data.title }}' } },
    }).expect(422);
    expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
    expect(res.body.code).to.equal('CLARION_ERR_WORKFLOW_TEMPLATE_MISSING');
    expect(res.body.detail).to.equal('Workflow incident.opened sends on email, sms, voice without a template: every delivery there would fail');
    expect(pointers(res)).to.deep.equal(['/channels/0', '/fallbacks/push/0', '/plugins/escalation/steps/0/channels/0', '/plugins/escalation/steps/1/channels/0', '/plugins/escalation/steps/1/channels/1']);
    expect(res.body.errors[0].message).to.equal(
      'email has no template for workflow incident.opened in any locale: add "templates": {"email": {...}} to the workflow, publish one (POST /v1/templates/incident.opened/email/{locale}/versions with "publish": true), or remove the channel',
    );
    await call('get', '/v1/workflows/incident.opened').expect(404);
    expect(await t.db.knex('templates').where({ workflow_key: 'incident.opened' })).to.deep.equal([]);
  });

  it('checks the key and the definition before the templates', async () => {
    expect((await putWorkflow('Bad%20Key', { trigger: 't', channels: ['email'] }).expect(422)).body.code).to.equal('CLARION_ERR_WORKFLOW_INVALID');
    expect((await putWorkflow('bad', { trigger: 't', channels: ['fax'] }).expect(422)).body.code).to.equal('CLARION_ERR_WORKFLOW_INVALID');
    expect((await putWorkflow('bad', { trigger: 't', channels: ['email'], plugins: { escalation: { steps: [] } } }).expect(422)).body.code).to.equal('CLARION_ERR_WORKFLOW_INVALID');
  });

  it('counts published versions in any locale, not drafts', async () => {
    await call('post', '/v1/templates/order.packed/sms/fr/versions').send({ parts: { text: 'Commande {{ data.orderId }} emballée' } }).expect(201);
    const drafts = await putWorkflow('order.packed', { trigger: 'com.acme.order.packed', channels: ['sms'] }).expect(422);
    expect(drafts.body.errors).to.deep.equal([
      { pointer: '/channels/0', message: 'sms has no template for workflow order.packed in any locale (it has drafts, none published): add "templates": {"sms": {...}} to the workflow, publish one (POST /v1/templates/order.packed/sms/{locale}/versions with "publish": true), or remove the channel' },
    ]);
    await call('post', '/v1/templates/order.packed/sms/fr/versions/1/publish').expect(200);
    await putWorkflow('order.packed', { trigger: 'com.acme.order.packed', channels: ['sms'] }).expect(201);
  });

  it('counts the bundled templates of a bundled workflow it overrides, and only those channels', async () => {
    await putWorkflow('issue.resolved', { trigger: 'issue.resolved', channels: ['in_app', 'email'], fallbacks: { email: ['sms'] } }).expect(201);
    const voice = await putWorkflow('issue.resolved', { trigger: 'issue.resolved', channels: ['in_app', 'voice'] }).expect(422);
    expect(pointers(voice)).to.deep.equal(['/channels/1']);
    expect((await call('get', '/v1/workflows/issue.resolved').expect(200)).body.channels).to.deep.equal(['in_app', 'email']);
  });

  it("checks a digest's channels against its template workflow", async () => {
    const base = { trigger: 'com.acme.comment', priority: 'low', channels: ['email'], templates: { email: { subject: 'Comment', text: 'A comment' } } };
    await putWorkflow('comment.added', { ...base, plugins: { digest: true } }).expect(201);
    await putWorkflow('comment.added', { ...base, plugins: { digest: { channels: ['email', 'in_app'] } } }).expect(200);
    const voice = await putWorkflow('comment.added', { ...base, plugins: { digest: { channels: ['voice'] } } }).expect(422);
    expect(voice.body.errors).to.deep.equal([
      { pointer: '/plugins/digest/channels/0', message: 'voice has no template for workflow digest.daily in any locale: publish one (POST /v1/templates/digest.daily/voice/{locale}/versions with "publish": true), or remove the channel' },
    ]);
    const elsewhere = await putWorkflow('comment.added', { ...base, plugins: { digest: { template: 'digest.weekly' } } }).expect(422);
    expect(pointers(elsewhere)).to.deep.equal(['/plugins/digest/channels/0']);
    // A disabled plugin sends nothing.
    await putWorkflow('comment.added', { ...base, plugins: { digest: false, escalation: false } }).expect(200);
  });

  it('saves every bundled workflow as it is shipped (each of its channels has a bundled template)', async () => {
    const other = await t.tenant('Bundled');
    for (const workflow of t.services.templates.bundled.workflows()) {
      const definition = JSON.parse(readFileSync(new URL(`../../templates/${workflow.key}/workflow.json`, import.meta.url), 'utf8'));
      const res = await request(t.callback).put(`/v1/workflows/${workflow.key}`).set('authorization', `Bearer ${other.apiKey}`).send(definition);
      expect(res.status, `${workflow.key}: ${JSON.stringify(res.body)}`).to.equal(201);
    }
  });

  it('saves the README plugin example as written, and its email and SMS go out', async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const example = /```json\nPUT \/v1\/workflows\/incident\.opened\n([\s\S]*?)\n```/.exec(readme);
    expect(example, 'the README has the example').to.not.equal(null);
    const saved = await putWorkflow('incident.opened', JSON.parse(example![1])).expect(201);
    expect(saved.body.source).to.equal('tenant');

    const res = await request(t.callback).post('/v1/events').set('authorization', `Bearer ${key}`).set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: `inc-${++seq}`, source: '/pager', type: 'com.acme.incident.opened', data: { title: 'Checkout is down', recipients: [{ id: 'hal', email: 'hal@example.com', phone: '+14155550111' }] } }))
      .expect(202);
    await t.runJobs();
    const outbox = async (channel: string) => (await call('get', `/v1/outbox?channel=${channel}&to=${encodeURIComponent(channel === 'sms' ? '+14155550111' : 'hal@example.com')}`).expect(200)).body.items;
    const [mail] = await outbox('email');
    expect(mail.content.subject).to.equal('Incident: Checkout is down');
    expect(mail.content.text).to.match(/^Checkout is down is open\.\n\nAcknowledge it: https:\/\/clarion\.example\.com\/v1\/links\/ack\//);

    clock.advance(300_000);
    await t.runJobsDueBy(clock.now());
    const [sms] = await outbox('sms');
    expect(sms.content.text).to.equal('Incident: Checkout is down. Reply ACK to acknowledge.');
    const event = (await call('get', `/v1/events/${res.body.accepted[0].eventId}`).expect(200)).body;
    const notification = (await call('get', `/v1/notifications/${event.notifications[0].id}`).expect(200)).body;
    expect(notification.escalation.steps.map((s: { channels: string[]; status: string }) => `${s.channels.join('+')}:${s.status}`)).to.deep.equal(['email:fired', 'sms:fired']);
    const failed = await t.db.knex('deliveries').whereIn('status', ['failed', 'dead']);
    expect(failed).to.deep.equal([]);
  });
});

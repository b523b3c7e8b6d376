import { expect } from 'chai';
import { startClarion, type RunningClarion } from '../../core/runtime.ts';
import { createTenant } from '../../core/tenants.ts';
import { testConfig } from '../support/clarion.ts';
import { freshDatabase, silentLog, type TestDatabase } from '../support/postgres.ts';
import { SmtpSink } from '../support/smtp.ts';
import { untilJobs } from '../support/wait.ts';

/**
 * Pipeline plugins end to end: a real gateway and worker, a real SMTP server on loopback. The email
 * that arrives carries RFC 8058 one-click unsubscribe; the mail client's POST to the signed link
 * opts the subscriber out, and the next notification is suppressed by the preferences plugin.
 */
describe('pipeline plugins (e2e, SMTP on loopback)', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let clarion: RunningClarion;
  let sink: SmtpSink;
  let apiKey: string;
  let seq = 0;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${clarion.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const post = async (recipient: unknown) => {
    const res = await fetch(`${clarion.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify({ specversion: '1.0', id: `news-${++seq}`, source: '/shop', type: 'com.acme.newsletter', data: { n: seq, recipients: [recipient] } }),
    });
    expect(res.status).to.equal(202);
    return ((await res.json()) as { accepted: Array<{ eventId: string }> }).accepted[0].eventId;
  };

  before(async () => {
    db = await freshDatabase();
    sink = new SmtpSink();
    await sink.start();
    clarion = await startClarion({ config: testConfig(db, { CLARION_WORKER_POLL_MS: '50' }), log: silentLog });
    ({ apiKey } = await createTenant(db.knex, { name: 'Acme', settings: { acceptUnvalidatedTypes: true } }));
    const provider = await api('POST', '/v1/providers', { channel: 'email', adapter: 'smtp', name: 'loopback', config: { host: '127.0.0.1', port: sink.port, from: 'Acme <news@acme.example>', timeoutSeconds: 5 } });
    expect(provider.status, JSON.stringify(provider.body)).to.equal(201);
    const workflow = await api('PUT', '/v1/workflows/newsletter', {
      trigger: 'com.acme.newsletter', category: 'marketing', channels: ['email'], recipients: '/data/recipients', plugins: { preferences: {} },
      templates: { email: { subject: 'News {{ data.n }}', text: 'Hello. Unsubscribe: {{ notification.unsubscribeUrl }}' } },
    });
    expect(workflow.status, JSON.stringify(workflow.body)).to.equal(201);
  });

  after(async () => {
    await clarion?.stop();
    await sink?.stop();
    await db?.drop();
  });

  it('one-click unsubscribe from the email headers, then the next notification is suppressed', async () => {
    await post({ id: 'ada', email: 'ada@example.com' });
    const mail = await sink.mailTo('ada@example.com');
    expect(mail.raw).to.match(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r?$/m);
    const header = /^List-Unsubscribe: <([^>]+)>/m.exec(mail.raw.replace(/\r?\n[ \t]+/g, ' '));
    expect(header, 'List-Unsubscribe header').to.not.equal(null);
    const url = new URL(header![1]);
    expect(url.pathname).to.match(/^\/v1\/links\/unsubscribe\//);

    const tampered = await fetch(`${clarion.url}${url.pathname.slice(0, -3)}abc`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(tampered.status).to.equal(403);

    const res = await fetch(`${clarion.url}${url.pathname}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(res.status).to.equal(200);
    expect((await api('GET', '/v1/subscribers/ada/preferences')).body.settings).to.deep.equal({ categories: { marketing: { email: false } } });

    const eventId = await post('ada');
    const notification = await untilJobs(clarion.runner!, async () => {
      const event = await api('GET', `/v1/events/${eventId}`);
      const id = event.body.notifications?.[0]?.id;
      if (!id) return undefined;
      const n = (await api('GET', `/v1/notifications/${id}`)).body;
      return n.status === 'suppressed' ? n : undefined;
    });
    expect(notification.decisions[0]).to.deep.include({ plugin: 'preferences', reason: 'opted_out' });
  });
});

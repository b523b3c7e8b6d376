import { expect } from 'chai';
import { simpleParser } from 'mailparser';
import { startClarion, type RunningClarion } from '../../core/runtime.ts';
import { createTenant } from '../../core/tenants.ts';
import { Receiver } from '../integration/webhooks-receiver.ts';
import { testConfig } from '../support/clarion.ts';
import { freshDatabase, silentLog, type TestDatabase } from '../support/postgres.ts';
import { SmtpSink } from '../support/smtp.ts';
import { untilJobs } from '../support/wait.ts';

/**
 * Engagement end to end: a real gateway and worker, a real SMTP server on loopback, a tenant's
 * webhook receiver. The email that arrives is parsed as a mail client would (MIME, quoted-printable),
 * its tracking pixel and rewritten link are fetched over HTTP, and they show up as interactions on
 * the notification and as signed webhooks; a tampered redirect is refused without redirecting.
 */
describe('engagement tracking (e2e, SMTP on loopback)', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let clarion: RunningClarion;
  let sink: SmtpSink;
  let receiver: Receiver;
  let apiKey: string;
  let secret: string;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${clarion.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  before(async () => {
    db = await freshDatabase();
    sink = new SmtpSink();
    await sink.start();
    receiver = await Receiver.start();
    clarion = await startClarion({
      // The public URL is set once the gateway's port is known: the links in the email must lead to it.
      config: testConfig(db, { CLARION_WORKER_CONCURRENCY: '4', CLARION_WORKER_POLL_MS: '50', CLARION_WEBHOOK_RETRY_SCALE: '0.001', PORT: String(await freePort()) }),
      log: silentLog,
    });
    ({ apiKey } = await createTenant(db.knex, { name: 'Acme', settings: { acceptUnvalidatedTypes: true, tracking: { opens: true, clicks: true } } }));
    const provider = await api('POST', '/v1/providers', { channel: 'email', adapter: 'smtp', config: { host: '127.0.0.1', port: sink.port, from: 'Acme <no-reply@acme.example>', user: 'clarion', password: 'secret' } });
    expect(provider.status, JSON.stringify(provider.body)).to.equal(201);
    const endpoint = await api('POST', '/v1/webhooks/endpoints', { url: receiver.url(), eventTypes: ['io.clarion.interaction.*'] });
    expect(endpoint.status, JSON.stringify(endpoint.body)).to.equal(201);
    secret = endpoint.body.secret;
    const workflow = await api('PUT', '/v1/workflows/order.shipped', {
      trigger: 'com.acme.order.shipped', channels: ['email'],
      templates: {
        email: {
          subject: 'Order {{ data.orderId }} shipped',
          html: '{% extends "_layouts/email.njk" %}{% block html %}<p>Follow <a href="https://shop.example/track/{{ data.orderId }}?utm_source=mail&amp;lang=fr">your parcel</a>.</p>{% endblock %}',
        },
      },
    });
    expect(workflow.status, JSON.stringify(workflow.body)).to.equal(201);
  });

  after(async () => {
    await clarion?.stop();
    await sink?.stop();
    await receiver?.close();
    await db?.drop();
  });

  it('records the pixel and the link of the email that arrived as interactions, and sends them as signed webhooks', async () => {
    const posted = await fetch(`${clarion.url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify({ specversion: '1.0', id: 'order-1', source: '/shop', type: 'com.acme.order.shipped', data: { orderId: 'A-1', recipients: [{ id: 'ada', email: 'ada@example.com' }] } }),
    });
    expect(posted.status).to.equal(202);
    const mail = await simpleParser((await sink.mailTo('ada@example.com')).raw);
    const html = String(mail.html);
    const pixel = /<img src="([^"]+\/v1\/track\/open\/[^"]+)"/.exec(html)?.[1];
    const link = /href="([^"]+\/v1\/track\/click\/[^"]+)"/.exec(html)?.[1];
    expect(pixel, html).to.be.a('string');
    expect(link, html).to.be.a('string');
    expect(pixel!.startsWith(clarion.url!)).to.equal(true);
    // The text part (derived from the HTML before tracking) keeps the real link.
    expect(mail.text).to.include('https://shop.example/track/A-1?utm_source=mail&lang=fr');

    const image = await fetch(pixel!, { headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Thunderbird/128.0' } });
    expect(image.status).to.equal(200);
    expect(image.headers.get('content-type')).to.equal('image/gif');
    const redirect = await fetch(link!.replace(/&amp;/g, '&'), { redirect: 'manual', headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0' } });
    expect(redirect.status).to.equal(302);
    expect(redirect.headers.get('location')).to.equal('https://shop.example/track/A-1?utm_source=mail&lang=fr');

    // A tampered redirect: refused, nowhere to go.
    const token = link!.split('/').at(-1)!;
    const claims = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8'));
    const forged = `${Buffer.from(JSON.stringify({ ...claims, u: 'https://evil.example/' })).toString('base64url')}.${token.split('.')[1]}`;
    const refused = await fetch(`${clarion.url}/v1/track/click/${forged}`, { redirect: 'manual' });
    expect(refused.status).to.equal(400);
    expect(refused.headers.get('location')).to.equal(null);
    expect(refused.headers.get('content-type')).to.include('application/problem+json');

    const notification = await untilJobs(clarion.runner!, async () => {
      const event = await api('GET', '/v1/events/order-1');
      const id = event.body.notifications?.[0]?.id;
      if (!id) return undefined;
      const n = (await api('GET', `/v1/notifications/${id}`)).body;
      return n.interactions?.length === 2 ? n : undefined;
    });
    expect(notification.interactions.map((i: { kind: string; source: string; prefetch: boolean }) => [i.kind, i.source, i.prefetch])).to.deep.equal([['open', 'pixel', false], ['click', 'redirect', false]]);
    expect(notification.interactions[0]).to.include({ channel: 'email', adapter: 'smtp', ip: '127.0.0.0', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Thunderbird/128.0' });
    expect(notification.interactions[1].link).to.equal('https://shop.example/track/A-1?utm_source=mail&lang=fr');
    expect(notification.openedAt).to.be.a('string');
    expect(notification.clickedAt).to.be.a('string');

    await receiver.waitFor(2);
    const events = receiver.requests.map((r) => Receiver.verify(secret, r) as { type: string; data: Record<string, unknown> });
    expect(events.map((e) => e.type).sort()).to.deep.equal(['io.clarion.interaction.click', 'io.clarion.interaction.open']);
    for (const e of events) expect(e.data).to.include({ notificationId: notification.id, subscriberId: 'ada', channel: 'email', workflow: 'order.shipped' });
  });
});

async function freePort(): Promise<number> {
  const { default: getPort } = await import('get-port');
  return getPort({ host: '127.0.0.1' });
}

import { expect } from 'chai';
import request from 'supertest';
import { testApp, type TestApp } from '../support/clarion.ts';
import { Receiver } from './webhooks-receiver.ts';

/**
 * Email open and click tracking through the gateway: the HTML part of a tracked workflow's email
 * carries the pixel and signed redirects (the sandbox outbox shows what was sent), fetching them
 * records interactions with what the request tells (truncated), sets the first open and click on
 * the delivery and the notification and announces each as a signed webhook; a changed token is
 * refused with 400 and redirects nowhere; machine prefetches are flagged and not counted.
 */
describe('email open and click tracking (integration)', () => {
  let t: TestApp;
  let key: string;
  let tenantId: string;
  let receiver: Receiver;
  let secret: string;
  let seq = 0;
  const PUBLIC = 'https://clarion.example.com';

  before(async () => {
    t = await testApp({ env: { CLARION_DEFAULT_SANDBOX: 'true', CLARION_PUBLIC_URL: PUBLIC } });
    ({ apiKey: key, tenantId } = await t.tenant('Acme', { acceptUnvalidatedTypes: true }));
    receiver = await Receiver.start();
    const endpoint = await call('post', '/v1/webhooks/endpoints').send({ url: receiver.url(), eventTypes: ['io.clarion.interaction.*'] }).expect(201);
    secret = endpoint.body.secret;
  });
  after(async () => {
    await t.services.delivery.close();
    await receiver.close();
    await t.close();
  });

  const call = (method: 'get' | 'put' | 'post' | 'patch' | 'delete', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${key}`);
  const html = `<html><body><p>Your order <a href="https://shop.example/orders/1?ref=mail&amp;x=%C3%A9" class="btn">is here</a>.</p>
<p><a data-clarion-track="off" href="https://shop.example/private">untracked</a> <a href="mailto:help@shop.example">help</a> <a href="#top">top</a></p>
<p><a href="{{ notification.unsubscribeUrl }}">Unsubscribe</a></p></body></html>`;

  /** A workflow with this tracking, one event to a new subscriber; the sandbox's copy of the email and its delivery. */
  async function send(tracking: Record<string, boolean> | undefined, extra: Record<string, unknown> = {}) {
    const workflow = `tracked.${++seq}`;
    await call('put', `/v1/workflows/${workflow}`).send({
      trigger: `com.acme.${workflow}`, channels: ['email'], ...(tracking ? { tracking } : {}), ...extra,
      templates: { email: { subject: 'Order {{ data.n }}', html, text: 'Your order: https://shop.example/orders/1' } },
    }).expect(201);
    await call('post', '/v1/events').set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: `e-${seq}`, source: '/shop', type: `com.acme.${workflow}`, data: { n: seq, recipients: [{ id: `ada-${seq}`, email: `ada-${seq}@example.com` }] } }))
      .expect(202);
    await t.runJobsUntilIdle();
    const outbox = await call('get', `/v1/outbox?to=ada-${seq}@example.com`).expect(200);
    const mail = outbox.body.items[0];
    return { mail, html: mail.content.html as string, notificationId: mail.notificationId as string, deliveryId: mail.deliveryId as string };
  }

  const links = (text: string) => [...text.matchAll(/href="([^"]+)"/g)].map((m) => m[1].replace(/&amp;/g, '&'));
  const pixelOf = (text: string) => /<img src="([^"]+)" width="1" height="1"/.exec(text)?.[1].replace(/&amp;/g, '&');
  const path = (url: string) => url.slice(PUBLIC.length);

  it('leaves emails alone unless the workflow or the tenant asks for tracking', async () => {
    const { html: sent } = await send(undefined);
    expect(pixelOf(sent)).to.equal(undefined);
    expect(links(sent)[0]).to.equal('https://shop.example/orders/1?ref=mail&x=%C3%A9');
  });

  it('rewrites the links of the HTML part to signed redirects and adds the pixel; own, opted-out and non-web links stay', async () => {
    const { html: sent, mail } = await send({ opens: true, clicks: true });
    const [order, untracked, mailto, anchor, unsubscribe] = links(sent);
    expect(order).to.match(new RegExp(`^${PUBLIC}/v1/track/click/[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]{43}$`));
    expect(untracked).to.equal('https://shop.example/private');
    expect(mailto).to.equal('mailto:help@shop.example');
    expect(anchor).to.equal('#top');
    expect(unsubscribe).to.match(new RegExp(`^${PUBLIC}/v1/links/unsubscribe/`));
    expect(pixelOf(sent)).to.match(new RegExp(`^${PUBLIC}/v1/track/open/`));
    expect(sent.indexOf('width="1" height="1"')).to.be.lessThan(sent.indexOf('</body>'));
    expect(mail.content.text).to.equal('Your order: https://shop.example/orders/1');
  });

  it('records a genuine open and click, sets openedAt and clickedAt once, and announces both as signed webhooks', async () => {
    const { html: sent, notificationId, deliveryId } = await send({ opens: true, clicks: true });
    const before = receiver.requests.length;
    const pixel = await request(t.callback).get(path(pixelOf(sent)!)).set('user-agent', 'Mozilla/5.0 (Macintosh) Thunderbird/128.0').set('x-forwarded-for', '198.51.100.7').expect(200);
    expect(pixel.headers['content-type']).to.equal('image/gif');
    expect(pixel.headers['cache-control']).to.include('no-store');
    expect(Buffer.from(pixel.body).subarray(0, 6).toString('latin1')).to.equal('GIF89a');
    const click = await request(t.callback).get(path(links(sent)[0])).set('user-agent', 'Mozilla/5.0 Firefox/140.0').expect(302);
    expect(click.headers.location).to.equal('https://shop.example/orders/1?ref=mail&x=%C3%A9');
    // A second open keeps the first time.
    await request(t.callback).get(path(pixelOf(sent)!)).set('user-agent', 'Mozilla/5.0 Firefox/140.0').expect(200);

    const rows = await t.db.knex('interactions').where({ notification_id: notificationId }).orderBy('created_at');
    expect(rows.map((r) => [r.kind, r.source, r.prefetch, r.channel])).to.deep.equal([['open', 'pixel', false, 'email'], ['click', 'redirect', false, 'email'], ['open', 'pixel', false, 'email']]);
    expect(rows[0]).to.include({ tenant_id: tenantId, delivery_id: deliveryId, user_agent: 'Mozilla/5.0 (Macintosh) Thunderbird/128.0' });
    // The socket's address (supertest's loopback), truncated to its network; a forwarded-for header is not believed.
    expect(rows[0].ip).to.be.oneOf(['127.0.0.0', '::']);
    expect(rows[1].link).to.equal('https://shop.example/orders/1?ref=mail&x=%C3%A9');

    const notification = (await call('get', `/v1/notifications/${notificationId}`).expect(200)).body;
    expect(notification.openedAt).to.equal(new Date(rows[0].occurred_at).toISOString());
    expect(notification.clickedAt).to.equal(new Date(rows[1].occurred_at).toISOString());
    expect(notification.deliveries[0].openedAt).to.equal(notification.openedAt);
    expect(notification.deliveries[0].clickedAt).to.equal(notification.clickedAt);

    await t.runJobsUntilIdle();
    await receiver.waitFor(before + 3);
    const events = receiver.requests.slice(before).map((r) => Receiver.verify(secret, r) as { type: string; subject: string; data: Record<string, unknown> });
    expect(events.map((e) => e.type)).to.deep.equal(['io.clarion.interaction.open', 'io.clarion.interaction.click', 'io.clarion.interaction.open']);
    expect(events[0].subject).to.equal(notificationId);
    expect(events[0].data).to.include({ notificationId, deliveryId, kind: 'open', channel: 'email', source: 'pixel', prefetch: false, first: true, subscriberId: `ada-${seq}` });
    expect(events[1].data).to.include({ kind: 'click', link: 'https://shop.example/orders/1?ref=mail&x=%C3%A9', first: true });
    expect(events[2].data).to.include({ first: false });
  });

  it('refuses a changed token with 400 and redirects nowhere', async () => {
    const { html: sent, notificationId } = await send({ opens: true, clicks: true });
    const url = path(links(sent)[0]);
    const token = url.split('/').at(-1)!;
    const [body, mac] = token.split('.');
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    // The same signature over another target: an attacker's open redirect.
    const forged = `${Buffer.from(JSON.stringify({ ...claims, u: 'https://evil.example/phish' })).toString('base64url')}.${mac}`;
    const flipped = `${body}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`;
    const openToken = path(pixelOf(sent)!).split('/').at(-1)!;
    for (const bad of [forged, flipped, openToken, 'garbage', `${body}.`]) {
      const res = await request(t.callback).get(`/v1/track/click/${bad}`).expect(400);
      expect(res.headers['content-type']).to.include('application/problem+json');
      expect(res.headers.location).to.equal(undefined);
      expect(res.body.code).to.equal('CLARION_ERR_TRACKING_LINK_INVALID');
    }
    await request(t.callback).get(`/v1/track/open/${token}`).expect(400);
    expect(await t.db.knex('interactions').where({ notification_id: notificationId }).count('* as n').first()).to.deep.equal({ n: 0 });
  });

  it('flags machine prefetches (Apple Mail Privacy Protection, link scanners) and does not count them', async () => {
    const { html: sent, notificationId } = await send({ opens: true, clicks: true });
    await request(t.callback).get(path(pixelOf(sent)!)).set('user-agent', 'Mozilla/5.0').expect(200);
    await request(t.callback).head(path(links(sent)[0])).set('user-agent', 'Mozilla/5.0 Scanner').expect(302);
    const rows = await t.db.knex('interactions').where({ notification_id: notificationId }).orderBy('created_at');
    expect(rows.map((r) => [r.kind, r.prefetch])).to.deep.equal([['open', true], ['click', true]]);
    const notification = (await call('get', `/v1/notifications/${notificationId}`).expect(200)).body;
    expect(notification).to.include({ openedAt: null, clickedAt: null });
  });

  it('tracks what the tenant turns on, except critical workflows that do not ask themselves', async () => {
    await call('patch', '/v1/tenant').send({ settings: { tracking: { opens: true } } }).expect(200);
    try {
      const normal = await send(undefined);
      expect(pixelOf(normal.html)).to.match(/\/v1\/track\/open\//);
      expect(links(normal.html)[0]).to.equal('https://shop.example/orders/1?ref=mail&x=%C3%A9');
      const critical = await send(undefined, { priority: 'critical' });
      expect(pixelOf(critical.html)).to.equal(undefined);
      const asked = await send({ clicks: true }, { priority: 'critical' });
      expect(pixelOf(asked.html)).to.equal(undefined);
      expect(links(asked.html)[0]).to.match(/\/v1\/track\/click\//);
    } finally {
      await call('patch', '/v1/tenant').send({ settings: { tracking: { opens: false } } }).expect(200);
    }
  });

  it('refuses a tracking setting that is not a boolean', async () => {
    const res = await call('put', '/v1/workflows/tracked.bad').send({ trigger: 'com.acme.bad', channels: ['email'], tracking: { opens: 'yes', clics: true }, templates: { email: { subject: 's', text: 't' } } }).expect(422);
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).to.include.members(['/tracking/opens', '/tracking/clics']);
    await call('patch', '/v1/tenant').send({ settings: { tracking: { opens: 1 } } }).expect(400);
  });

  it('erases interactions with the subscriber, keeps redirecting afterwards, and records nothing more of her', async () => {
    const { html: sent, notificationId } = await send({ opens: true, clicks: true });
    await request(t.callback).get(path(pixelOf(sent)!)).set('user-agent', 'Mozilla/5.0 Firefox/140.0').expect(200);
    expect(await t.db.knex('interactions').where({ notification_id: notificationId }).count('* as n').first()).to.deep.equal({ n: 1 });
    await call('delete', `/v1/subscribers/ada-${seq}`).expect(204);
    const erased = (await call('get', '/v1/audit?action=subscriber.erased').expect(200)).body.items[0];
    expect(erased.summary.deleted).to.include({ interactions: 1 });
    expect(await t.db.knex('interactions').where({ notification_id: notificationId }).count('* as n').first()).to.deep.equal({ n: 0 });
    await request(t.callback).get(path(pixelOf(sent)!)).set('user-agent', 'Mozilla/5.0 Firefox/140.0').expect(200);
    const click = await request(t.callback).get(path(links(sent)[0])).set('user-agent', 'Mozilla/5.0 Firefox/140.0').expect(302);
    expect(click.headers.location).to.equal('https://shop.example/orders/1?ref=mail&x=%C3%A9');
    expect(await t.db.knex('interactions').where({ notification_id: notificationId }).count('* as n').first()).to.deep.equal({ n: 0 });
  });
});

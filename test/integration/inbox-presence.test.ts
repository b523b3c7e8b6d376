import { expect } from 'chai';
import request from 'supertest';
import { testApp, testPeer, type TestApp, type TestPeer } from '../support/clarion.ts';
import { ManualClock } from '../support/clock.ts';
import { advance, clients, inAppWorkflow } from '../support/inbox.ts';
import { WsClient, serve } from '../support/stream.ts';

const MINUTE = 60_000;

/**
 * Presence: open streams mark a subscriber online, on any gateway (two processes here, one
 * database); a process that stops refreshing its rows stops counting after the TTL. The presence
 * plugin holds the other channels while the in-app copy may be read, and its decision is kept.
 */
describe('presence and the presence plugin', function () {
  this.timeout(60_000);
  let t: TestApp;
  let peer: TestPeer;
  let clock: ManualClock;
  let one: Awaited<ReturnType<typeof serve>>;
  let two: Awaited<ReturnType<typeof serve>>;
  let c: ReturnType<typeof clients>;
  let tenantId: string;
  let apiKey: string;
  const streams: WsClient[] = [];

  before(async () => {
    clock = new ManualClock();
    const env = { CLARION_INBOX_PRESENCE_TTL_MS: '60000', CLARION_DEFAULT_SANDBOX: 'true' };
    t = await testApp({ clock, env });
    peer = await testPeer(t, { clock, env });
    one = await serve(t, t.db.url);
    two = await serve(peer, t.db.url);
    ({ tenantId, apiKey } = await t.tenant('Acme', { acceptUnvalidatedTypes: true }));
    c = clients(t, apiKey);
    await c.api.put('/v1/workflows/order.shipped').send(inAppWorkflow('com.acme.order.shipped', {
      channels: ['in_app', 'email'],
      templates: { ...inAppWorkflow('x').templates, email: { subject: 'Order {{ data.orderId }} shipped', text: 'On its way.' } },
      plugins: { presence: { action: 'hold', holdMinutes: 5 } },
    })).expect(201);
    await c.api.put('/v1/workflows/order.quiet').send(inAppWorkflow('com.acme.order.quiet', {
      channels: ['in_app', 'email'],
      templates: { ...inAppWorkflow('x').templates, email: { subject: 'Quiet', text: 'Quiet.' } },
      plugins: { presence: { action: 'skip' } },
    })).expect(201);
  });
  after(async () => {
    for (const s of streams) s.close();
    await two?.close();
    await one?.close();
    await peer?.close();
    await t?.close();
  });

  const open = async (server: { ws: string }, subscriber: string) => {
    const client = await WsClient.open(`${server.ws}/v1/inbox/stream?token=${await c.token(subscriber)}`);
    streams.push(client);
    await client.next((m) => m.type === 'ready');
    await Promise.all([t.services.inbox.presence.settled(), peer.services.inbox.presence.settled()]);
    return client;
  };
  const presence = async (subscriber: string) => (await c.api.get(`/v1/subscribers/${subscriber}/presence`).expect(200)).body;
  const notification = async (eventId: string) => {
    const [summary] = (await c.api.get(`/v1/events/${eventId}`).expect(200)).body.notifications;
    return (await c.api.get(`/v1/notifications/${summary.id}`).expect(200)).body;
  };
  const emails = async (to: string) => (await c.api.get(`/v1/outbox?to=${encodeURIComponent(to)}`).expect(200)).body.items.filter((m: { channel: string }) => m.channel === 'email');

  it('counts open streams on every gateway, and goes offline when the last one closes', async () => {
    await c.api.put('/v1/subscribers/ada').send({ email: 'ada@example.com' }).expect(201);
    expect(await presence('ada')).to.deep.equal({ subscriberId: 'ada', online: false, connections: 0, lastSeenAt: null });
    const laptop = await open(one, 'ada');
    const phone = await open(two, 'ada');
    expect(await presence('ada')).to.deep.include({ online: true, connections: 2, lastSeenAt: clock.now().toISOString() });
    laptop.close();
    await laptop.whenClosed();
    phone.close();
    await phone.whenClosed();
    while (t.services.inbox.hub.size + peer.services.inbox.hub.size > 0) await new Promise((resolve) => setImmediate(resolve));
    await Promise.all([t.services.inbox.presence.settled(), peer.services.inbox.presence.settled()]);
    expect((await presence('ada')).online).to.equal(false);
  });

  it('stops counting a gateway that stopped refreshing (it died) after the TTL', async () => {
    const { id } = await t.db.knex('subscribers').where({ tenant_id: tenantId, external_id: 'ada' }).first('id');
    await t.db.knex('inbox_presence').insert({ subscriber_id: id, process_id: 'a-process-that-died', tenant_id: tenantId, connections: 1, connected_at: clock.now(), last_seen_at: clock.now() });
    expect((await presence('ada')).online).to.equal(true);
    clock.advance(MINUTE + 1);
    expect(await presence('ada')).to.deep.include({ online: false, connections: 0 });
    expect((await t.services.inbox.prune()).presence).to.equal(1);
  });

  it('holds the email of an online subscriber, and sends it after the hold if the in-app copy is still unread', async () => {
    const stream = await open(two, 'ada');
    const eventId = await c.post('com.acme.order.shipped', ['ada']);
    await stream.next((m) => m.type === 'item.created');
    const held = await notification(eventId);
    const decision = held.decisions.find((d: { plugin: string }) => d.plugin === 'presence');
    expect(decision).to.deep.include({ decision: 'schedule', reason: 'the subscriber is online: email held 5 min, sent only if the in-app copy is still unread' });
    expect(decision.details).to.deep.include({ online: true, connections: 1, channels: ['email'] });
    expect(held.escalation.steps.map((s: { status: string; channels: string[]; unless?: string }) => [s.status, s.channels, s.unless ?? null])).to.deep.equal([['fired', ['in_app'], null], ['pending', ['email'], 'read']]);
    expect(await emails('ada@example.com')).to.have.length(0);

    await advance(t, clock, 5 * MINUTE);
    expect(await emails('ada@example.com')).to.have.length(1);
    expect((await notification(eventId)).escalation.steps[1].status).to.equal('fired');
  });

  it('does not send the held email once the in-app copy was read', async () => {
    await c.api.put('/v1/subscribers/bob').send({ email: 'bob@example.com' }).expect(201);
    const stream = await open(one, 'bob');
    const eventId = await c.post('com.acme.order.shipped', ['bob']);
    const created = await stream.next((m) => m.type === 'item.created');
    await c.as(await c.token('bob')).patch(`/v1/inbox/${(created.item as { id: string }).id}`).send({ read: true }).expect(200);
    await advance(t, clock, 5 * MINUTE);
    expect((await notification(eventId)).escalation.steps[1]).to.deep.include({ status: 'cancelled', reason: 'read' });
    expect(await emails('bob@example.com')).to.have.length(0);
  });

  it('sends every channel at once to an offline subscriber, and skips them for an online one with skip', async () => {
    await c.api.put('/v1/subscribers/carol').send({ email: 'carol@example.com' }).expect(201);
    const offline = await notification(await c.post('com.acme.order.shipped', ['carol']));
    expect(offline.decisions.find((d: { plugin: string }) => d.plugin === 'presence')).to.deep.include({ decision: 'continue', reason: 'the subscriber is offline: every channel goes now' });
    expect(await emails('carol@example.com')).to.have.length(1);

    await open(one, 'carol');
    const skipped = await notification(await c.post('com.acme.order.quiet', ['carol']));
    expect(skipped.decisions.find((d: { plugin: string }) => d.plugin === 'presence')).to.deep.include({ decision: 'continue', channels: ['in_app'] });
    expect(skipped.deliveries.map((d: { channel: string }) => d.channel)).to.deep.equal(['in_app']);
    expect(await emails('carol@example.com')).to.have.length(1);
  });

  it('ends the streams of an erased subscriber on every gateway, and forgets when she was online', async () => {
    await c.api.put('/v1/subscribers/erin').send({ email: 'erin@example.com' }).expect(201);
    const laptop = await open(one, 'erin');
    const phone = await open(two, 'erin');
    const other = await open(two, 'carol');
    expect((await presence('erin')).connections).to.equal(2);
    await request(t.callback).delete('/v1/subscribers/erin').set('authorization', `Bearer ${apiKey}`).expect(204);
    expect(await laptop.whenClosed()).to.deep.equal({ code: 4001, reason: 'token expired' });
    expect(await phone.whenClosed()).to.deep.equal({ code: 4001, reason: 'token expired' });
    await Promise.all([t.services.inbox.presence.settled(), peer.services.inbox.presence.settled()]);
    const { id } = await t.db.knex('subscribers').where({ tenant_id: tenantId }).whereNotNull('erased_at').orderBy('erased_at', 'desc').first('id');
    expect(await t.db.knex('inbox_presence').where({ subscriber_id: id })).to.deep.equal([]);
    expect(other.closed, "another subscriber's stream stays open").to.equal(undefined);
  });
});

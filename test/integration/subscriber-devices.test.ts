import { expect } from 'chai';
import request from 'supertest';
import { testApp, type TestApp } from '../support/clarion.ts';

/** Push devices of subscribers, in the format the README shows: each platform with what it needs, clear errors otherwise. */
describe('subscriber devices', () => {
  let t: TestApp;
  let key: string;
  const put = (id: string, body: unknown) => request(t.callback).put(`/v1/subscribers/${id}`).set('authorization', `Bearer ${key}`).send(body as object);
  const subscription = { endpoint: 'https://fcm.googleapis.com/fcm/send/abc123', keys: { p256dh: 'BNc...', auth: 'tBH...' } };

  before(async () => {
    t = await testApp();
    ({ apiKey: key } = await t.tenant('Acme', { acceptUnvalidatedTypes: true }));
  });
  after(() => t.close());

  it('stores fcm, apns and webpush devices as given', async () => {
    const devices = [
      { platform: 'fcm', token: 'fcm-token-1', label: "Ada's phone" },
      { platform: 'apns', token: 'a1b2c3d4' },
      { platform: 'webpush', subscription: { ...subscription, expirationTime: null } },
    ];
    const res = await put('ada', { name: 'Ada', devices }).expect(201);
    expect(res.body.devices).to.deep.equal(devices);
    expect((await request(t.callback).get('/v1/subscribers/ada').set('authorization', `Bearer ${key}`).expect(200)).body.devices).to.deep.equal(devices);
    // An empty list removes them.
    expect((await put('ada', { devices: [] }).expect(200)).body.devices).to.deep.equal([]);
  });

  const bad: Array<[string, unknown, Array<{ pointer: string; message: string }>]> = [
    ['no platform', [{ token: 'x' }], [{ pointer: '/devices/0/platform', message: 'is required: one of fcm, apns, webpush' }]],
    ['an unknown platform', [{ platform: 'pager', token: 'x' }], [{ pointer: '/devices/0/platform', message: 'must be one of fcm, apns, webpush' }]],
    ['fcm without a token', [{ platform: 'fcm' }], [{ pointer: '/devices/0/token', message: 'is required: the device token the push service gave the app' }]],
    ['an empty token', [{ platform: 'apns', token: '' }], [{ pointer: '/devices/0/token', message: 'must NOT have fewer than 1 characters' }]],
    ['fcm with a subscription', [{ platform: 'fcm', token: 'x', subscription }], [{ pointer: '/devices/0/subscription', message: 'is not allowed: an fcm device carries a token, not a subscription' }]],
    [
      'webpush without a subscription',
      [{ platform: 'webpush' }],
      [{ pointer: '/devices/0/subscription', message: 'is required: the browser\'s PushSubscription ({"endpoint": "https://...", "keys": {"p256dh": "...", "auth": "..."}})' }],
    ],
    ['webpush with a token', [{ platform: 'webpush', token: 'x', subscription }], [{ pointer: '/devices/0/token', message: 'is not allowed: a webpush device carries a subscription, not a token' }]],
    [
      'a plain http endpoint',
      [{ platform: 'webpush', subscription: { ...subscription, endpoint: 'http://push.example.com/x' } }],
      [{ pointer: '/devices/0/subscription/endpoint', message: 'must be an https:// URL (the push service endpoint of the subscription)' }],
    ],
    ['missing keys', [{ platform: 'webpush', subscription: { endpoint: subscription.endpoint, keys: { p256dh: 'x' } } }], [{ pointer: '/devices/0/subscription/keys/auth', message: 'is required' }]],
    ['an unknown field', [{ platform: 'fcm', token: 'x', os: 'android' }], [{ pointer: '/devices/0/os', message: 'is not allowed (a device has platform, token or subscription, and label)' }]],
    ['the same token twice', [{ platform: 'fcm', token: 'x' }, { platform: 'fcm', token: 'x' }], [{ pointer: '/devices/1/token', message: "is the same as device 0's" }]],
    ['a device that is not an object', ['fcm:x'], [{ pointer: '/devices/0', message: 'must be a device object ({"platform": "fcm", "token": "..."})' }]],
    ['devices that are not a list', { platform: 'fcm', token: 'x' }, [{ pointer: '/devices', message: 'must be array' }]],
    ['too many devices', Array.from({ length: 51 }, (_, i) => ({ platform: 'fcm', token: `t${i}` })), [{ pointer: '/devices', message: 'must have at most 50 devices' }]],
  ];
  for (const [what, devices, errors] of bad) {
    it(`refuses ${what}, naming the field`, async () => {
      const res = await put('bob', { devices }).expect(422);
      expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
      expect(res.body.code).to.equal('CLARION_ERR_SUBSCRIBER_INVALID');
      expect(res.body.errors).to.deep.equal(errors);
    });
  }

  it('reports device errors together with the other fields', async () => {
    const res = await put('bob', { email: 'nope', devices: [{ platform: 'fcm' }, { platform: 'webpush', subscription }] }).expect(422);
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).to.deep.equal(['/email', '/devices/0/token']);
    await request(t.callback).get('/v1/subscribers/bob').set('authorization', `Bearer ${key}`).expect(404);
  });

  it('checks the devices of inline recipients of an event the same way', async () => {
    await request(t.callback).put('/v1/workflows/ping').set('authorization', `Bearer ${key}`)
      .send({ trigger: 'com.acme.ping', channels: ['in_app'], templates: { in_app: { body: 'Ping' } } }).expect(201);
    const res = await request(t.callback).post('/v1/events').set('authorization', `Bearer ${key}`).set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: 'p-1', source: '/t', type: 'com.acme.ping', data: { recipients: [{ id: 'cy', devices: [{ platform: 'webpush', token: 'x' }] }, { id: 'di', devices: [{ platform: 'fcm', token: 'ok' }] }] } }))
      .expect(202);
    await t.runJobs();
    const event = (await request(t.callback).get(`/v1/events/${res.body.accepted[0].eventId}`).set('authorization', `Bearer ${key}`).expect(200)).body;
    expect(event.error).to.equal(
      "ping: recipients[0]: /devices/0/subscription is required: the browser's PushSubscription ({\"endpoint\": \"https://...\", \"keys\": {\"p256dh\": \"...\", \"auth\": \"...\"}}); /devices/0/token is not allowed: a webpush device carries a subscription, not a token",
    );
    expect(event.notifications).to.have.length(1);
    expect((await request(t.callback).get('/v1/subscribers/di').set('authorization', `Bearer ${key}`).expect(200)).body.devices).to.deep.equal([{ platform: 'fcm', token: 'ok' }]);
    await request(t.callback).get('/v1/subscribers/cy').set('authorization', `Bearer ${key}`).expect(404);
  });
});

import request from 'supertest';
import type { TestApp } from './clarion.ts';
import type { ManualClock } from './clock.ts';

/** Moves the clock and runs every job that became due on it (jobs' run_at is the injected clock's). */
export async function advance(t: TestApp, clock: ManualClock, ms: number): Promise<void> {
  clock.advance(ms);
  await t.runJobsDueBy(clock.now());
}

/** An in-app workflow with two buttons, filed under `category` and `tags`. */
export function inAppWorkflow(trigger: string, extra: Record<string, unknown> = {}) {
  return {
    trigger,
    category: 'orders',
    tags: ['shop'],
    channels: ['in_app'],
    recipients: '/data/recipients',
    templates: {
      in_app: {
        title: 'Order {{ data.orderId }} shipped',
        body: 'It is on its way.',
        url: 'https://shop.example/orders/{{ data.orderId }}',
        actions: '[{"label": "Track", "url": "https://shop.example/track", "action": "track"}, {"label": "Dismiss", "action": "dismiss", "style": "secondary"}]',
      },
    },
    ...extra,
  };
}

/** The API as the tenant's server (API key) and as one subscriber's browser (inbox token). */
export function clients(t: TestApp, apiKey: string) {
  let seq = 0;
  const api = {
    get: (url: string) => request(t.callback).get(url).set('authorization', `Bearer ${apiKey}`),
    post: (url: string) => request(t.callback).post(url).set('authorization', `Bearer ${apiKey}`),
    put: (url: string) => request(t.callback).put(url).set('authorization', `Bearer ${apiKey}`),
    patch: (url: string) => request(t.callback).patch(url).set('authorization', `Bearer ${apiKey}`),
  };
  return {
    api,
    /** Posts an event of `type` for the recipients and runs the jobs it makes. */
    async post(type: string, recipients: unknown[], data: Record<string, unknown> = {}): Promise<string> {
      const res = await api
        .post('/v1/events')
        .set('content-type', 'application/cloudevents+json')
        .send(JSON.stringify({ specversion: '1.0', id: `evt-${Date.now()}-${++seq}`, source: '/test', type, data: { orderId: String(seq), recipients, ...data } }))
        .expect(202);
      await t.runJobs();
      return res.body.accepted[0].eventId as string;
    },
    async token(subscriber: string, body: Record<string, unknown> = {}): Promise<string> {
      return (await api.post(`/v1/subscribers/${subscriber}/inbox-token`).send(body).expect(201)).body.token as string;
    },
    as(token: string) {
      return {
        get: (url: string) => request(t.callback).get(url).set('authorization', `Bearer ${token}`),
        post: (url: string) => request(t.callback).post(url).set('authorization', `Bearer ${token}`),
        patch: (url: string) => request(t.callback).patch(url).set('authorization', `Bearer ${token}`),
      };
    },
  };
}

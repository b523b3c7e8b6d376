import { expect } from 'chai';
import request from 'supertest';
import { testApp, type TestApp } from '../support/clarion.ts';

describe('GET /metrics', () => {
  describe('without CLARION_METRICS_TOKEN', () => {
    let t: TestApp;
    before(async () => {
      t = await testApp();
    });
    after(() => t.close());

    it('is open, as before', async () => {
      const res = await request(t.callback).get('/metrics').expect(200);
      expect(res.headers['content-type']).to.match(/^text\/plain/);
      expect(res.text).to.include('# TYPE clarion_events_received_total counter');
    });
  });

  describe('with CLARION_METRICS_TOKEN', () => {
    const token = 'metrics-7a1c0f7e5b3d4c2a9e8f6b1d0c3a5e7f';
    let t: TestApp;
    before(async () => {
      t = await testApp({ env: { CLARION_METRICS_TOKEN: token } });
    });
    after(() => t.close());

    it('answers the bearer of the token', async () => {
      const res = await request(t.callback).get('/metrics').set('authorization', `Bearer ${token}`).expect(200);
      expect(res.text).to.include('# TYPE clarion_events_received_total counter');
      await request(t.callback).get('/metrics').set('authorization', `bearer  ${token} `).expect(200);
    });

    it('refuses anyone else with a problem document, and says how to authenticate', async () => {
      const { apiKey } = await t.tenant('Acme');
      const missing = await request(t.callback).get('/metrics').expect(401);
      expect(missing.headers['content-type']).to.match(/^application\/problem\+json/);
      expect(missing.headers['www-authenticate']).to.equal('Bearer realm="clarion-metrics"');
      expect(missing.body).to.include({ code: 'CLARION_ERR_METRICS_UNAUTHORIZED', status: 401, instance: '/metrics' });
      expect(missing.body.detail).to.include('Authorization: Bearer <CLARION_METRICS_TOKEN>');
      expect(missing.text).to.not.include('clarion_events_received_total');
      for (const header of [`Bearer ${token.slice(0, -1)}x`, `Bearer ${token}x`, `Basic ${Buffer.from(`x:${token}`).toString('base64')}`, `Bearer ${apiKey}`, token]) {
        const res = await request(t.callback).get('/metrics').set('authorization', header).expect(401);
        expect(res.body.code, header).to.equal('CLARION_ERR_METRICS_UNAUTHORIZED');
        expect(res.headers['www-authenticate']).to.equal('Bearer realm="clarion-metrics", error="invalid_token"');
        expect(res.text).to.not.include(token);
      }
    });

    it('leaves the other operations routes open', async () => {
      await request(t.callback).get('/healthz').expect(200);
      await request(t.callback).get('/readyz').expect(200);
      await request(t.callback).get('/v1/openapi.json').expect(200);
    });
  });
});

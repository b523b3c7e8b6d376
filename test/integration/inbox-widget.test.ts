import { expect } from 'chai';
import request from 'supertest';
import { testApp, type TestApp } from '../support/clarion.ts';
import { clients } from '../support/inbox.ts';
import { WIDGET_GZIP_BYTES } from '../../core/gateway/routes/widget.ts';

/** How the gateway serves `<clarion-inbox>`: size, caching, versions, and the CORS other origins need. */
describe('inbox widget asset, demo page and CORS', () => {
  let t: TestApp;
  let c: ReturnType<typeof clients>;
  before(async () => {
    t = await testApp();
    const { apiKey } = await t.tenant('Acme');
    c = clients(t, apiKey);
  });
  after(() => t.close());

  it('serves the module gzipped under 25 KB, with its version, an ETag and 304s', async () => {
    // superagent decompresses: the length on the wire is the Content-Length.
    const res = await request(t.callback).get('/v1/inbox/widget.js').set('accept-encoding', 'gzip').buffer(true).expect(200);
    expect(res.headers['content-type']).to.equal('text/javascript; charset=utf-8');
    expect(res.headers['content-encoding']).to.equal('gzip');
    expect(res.headers.vary).to.include('Accept-Encoding');
    const version = res.headers['x-clarion-widget-version'];
    expect(version).to.match(/^\d+\.\d+\.\d+-[0-9a-f]{10}$/);
    expect(res.headers['cache-control']).to.equal('public, max-age=300, must-revalidate');
    expect(Number(res.headers['content-length']), 'gzipped size').to.equal(WIDGET_GZIP_BYTES).and.be.below(25 * 1024);
    const source = res.text;
    expect(source).to.include(`const VERSION = '${version}'`);
    expect(source).to.include("customElements.define('clarion-inbox'");

    const plain = await request(t.callback).get('/v1/inbox/widget.js').set('accept-encoding', 'identity').expect(200);
    expect(plain.headers['content-encoding']).to.equal(undefined);
    expect(plain.text).to.equal(source);

    const versioned = await request(t.callback).get(`/v1/inbox/widget.js?v=${version}`).expect(200);
    expect(versioned.headers['cache-control']).to.equal('public, max-age=31536000, immutable');
    const stale = await request(t.callback).get('/v1/inbox/widget.js?v=0.0.1-0000000000').expect(200);
    expect(stale.headers['cache-control'], 'an old version is not cached for good').to.equal('public, max-age=300, must-revalidate');

    await request(t.callback).get('/v1/inbox/widget.js').set('if-none-match', res.headers.etag).expect(304);
    await request(t.callback).get('/v1/inbox/widget.js').set('if-none-match', '"something-else"').expect(200);
  });

  it('serves a demo page under a strict Content-Security-Policy, loading the versioned module', async () => {
    const res = await request(t.callback).get('/demo/inbox').expect(200).expect('content-type', 'text/html; charset=utf-8');
    const version = (await request(t.callback).get('/v1/inbox/widget.js')).headers['x-clarion-widget-version'];
    expect(res.text).to.include(`<script type="module" src="/v1/inbox/widget.js?v=${version}"></script>`);
    expect(res.text).to.include('<clarion-inbox');
    const csp = res.headers['content-security-policy'];
    expect(csp).to.include("default-src 'none'").and.include("connect-src 'self'").and.include("frame-ancestors 'none'");
    expect(csp).not.to.include('unsafe-inline');
  });

  it('lets pages of any origin call the inbox routes, with their bearer token only', async () => {
    const preflight = await request(t.callback)
      .options('/v1/inbox/item-1')
      .set('origin', 'https://app.example')
      .set('access-control-request-method', 'PATCH')
      .set('access-control-request-headers', 'authorization, content-type')
      .expect(204);
    expect(preflight.headers['access-control-allow-origin']).to.equal('*');
    expect(preflight.headers['access-control-allow-methods']).to.equal('GET, POST, PATCH');
    expect(preflight.headers['access-control-allow-headers']).to.match(/Authorization/).and.match(/Content-Type/);
    expect(preflight.headers['access-control-allow-credentials'], 'no cookies: bearer tokens only').to.equal(undefined);

    const token = await c.token('ada');
    const counts = await request(t.callback).get('/v1/inbox/counts').set('origin', 'https://app.example').set('authorization', `Bearer ${token}`).expect(200);
    expect(counts.headers['access-control-allow-origin']).to.equal('*');
    // A refusal is readable by the page too (it learns its token is no good).
    const refused = await request(t.callback).get('/v1/inbox/counts').set('origin', 'https://app.example').set('authorization', 'Bearer cin_bogus.bogus').expect(401);
    expect(refused.headers['access-control-allow-origin']).to.equal('*');

    // The tenant's own API (API keys) is not opened to browsers of other origins.
    const admin = await c.api.get('/v1/subscribers/ada/presence').set('origin', 'https://app.example').expect(200);
    expect(admin.headers['access-control-allow-origin']).to.equal(undefined);
    const adminPreflight = await request(t.callback).options('/v1/subscribers/ada/inbox-token').set('origin', 'https://app.example').set('access-control-request-method', 'POST');
    expect(adminPreflight.headers['access-control-allow-origin']).to.equal(undefined);
  });
});

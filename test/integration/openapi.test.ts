import { expect } from 'chai';
import request from 'supertest';
import { MAX_BATCH, MAX_EXTENSION_VALUE_BYTES, MAX_EXTENSIONS, MAX_ID_BYTES, MAX_SOURCE_BYTES, MAX_TYPE_BYTES } from '../../core/ingest/limits.ts';
import { testApp, type TestApp } from '../support/clarion.ts';

describe('GET /v1/openapi.json', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp();
  });
  after(() => t.close());

  it('describes every route the gateway serves, and nothing else', async () => {
    const res = await request(t.callback).get('/v1/openapi.json').expect(200);
    expect(res.body.openapi).to.match(/^3\.1\./);
    const documented = new Set<string>();
    for (const [path, item] of Object.entries(res.body.paths as Record<string, Record<string, unknown>>)) {
      for (const method of Object.keys(item)) if (['get', 'put', 'post', 'patch', 'delete', 'options', 'head'].includes(method)) documented.add(`${method.toUpperCase()} ${path}`);
    }
    const served = new Set<string>();
    for (const router of t.routers) {
      for (const layer of router.stack) {
        const path = String(layer.path).replace(/:([A-Za-z0-9_]+)/g, '{$1}');
        for (const method of layer.methods) if (method !== 'HEAD') served.add(`${method} ${path}`);
      }
    }
    expect([...served].filter((r) => !documented.has(r)), 'served but not documented').to.deep.equal([]);
    expect([...documented].filter((r) => !served.has(r)), 'documented but not served').to.deep.equal([]);
  });

  it('resolves every $ref it uses', async () => {
    const res = await request(t.callback).get('/v1/openapi.json').expect(200);
    const refs = JSON.stringify(res.body).match(/"\$ref":"#\/components\/[^"]+"/g) ?? [];
    for (const ref of new Set(refs)) {
      const path = ref.slice(8, -1).split('/').slice(1);
      let node: unknown = res.body;
      for (const part of path) node = (node as Record<string, unknown>)?.[part];
      expect(node, ref).to.not.equal(undefined);
    }
  });

  it('states the ingest limits of core/ingest/limits.ts', async () => {
    const res = await request(t.callback).get('/v1/openapi.json').expect(200);
    const event = res.body.components.schemas.CloudEvent;
    expect(event.properties.id.maxLength).to.equal(MAX_ID_BYTES);
    expect(event.properties.source.maxLength).to.equal(MAX_SOURCE_BYTES);
    expect(event.properties.type.maxLength).to.equal(MAX_TYPE_BYTES);
    expect(event.additionalProperties.maxLength).to.equal(MAX_EXTENSION_VALUE_BYTES);
    expect(event.maxProperties).to.equal(9 + MAX_EXTENSIONS);
    const post = res.body.paths['/v1/events'].post;
    expect(post.requestBody.content['application/cloudevents-batch+json'].schema.maxItems).to.equal(MAX_BATCH);
    expect(post.parameters.find((p: { name: string }) => p.name === 'ce-id').schema.maxLength).to.equal(MAX_ID_BYTES);
  });
});

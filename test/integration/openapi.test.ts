import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import SwaggerParser from '@apidevtools/swagger-parser';
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
        // `:name` is a parameter; `\:` is a literal colon (`/v1/subscribers:bulk`).
        const path = String(layer.path).replace(/(?<!\\):([A-Za-z0-9_]+)/g, '{$1}').replace(/\\:/g, ':');
        for (const method of layer.methods) if (method !== 'HEAD') served.add(`${method} ${path}`);
      }
    }
    expect([...served].filter((r) => !documented.has(r)), 'served but not documented').to.deep.equal([]);
    expect([...documented].filter((r) => !served.has(r)), 'documented but not served').to.deep.equal([]);
  });

  it('is a valid OpenAPI 3.1 document (swagger-parser)', async () => {
    const res = await request(t.callback).get('/v1/openapi.json').expect(200);
    // validate() dereferences the document it is given: hand it a copy.
    await SwaggerParser.validate(structuredClone(res.body));
  });

  it('passes `redocly lint` with the recommended rules of redocly.yaml, without errors', async () => {
    const res = await request(t.callback).get('/v1/openapi.json').expect(200);
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const dir = await mkdtemp(path.join(tmpdir(), 'clarion-openapi-'));
    try {
      const file = path.join(dir, 'openapi.json');
      await writeFile(file, JSON.stringify(res.body, null, 2));
      const redocly = path.join(root, 'node_modules', '.bin', 'redocly');
      const run = promisify(execFile);
      try {
        await run(redocly, ['lint', file, '--config', path.join(root, 'redocly.yaml'), '--format', 'stylish', '--max-problems', '1000'], { cwd: root, env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } });
      } catch (err) {
        const { stdout, stderr } = err as { stdout?: string; stderr?: string };
        expect.fail(`redocly lint found errors:\n${(stdout ?? '').split('\n').filter((l) => /\berror\b/.test(l)).join('\n')}\n${stderr ?? ''}`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
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

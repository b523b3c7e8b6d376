import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import request from 'supertest';
import { createLogger } from '../../core/log.ts';
import { currentTraceparent, startTracing, withSpan, type Tracing } from '../../core/tracing.ts';
import { queuedJobs, testApp, type TestApp } from '../support/clarion.ts';

const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

/**
 * One event's trace, recorded by an in-memory exporter: the caller's span, then ingest, the
 * fan-out job, the pipeline, the send job with its render and the provider call, each the child
 * of the one before across jobs.
 */
describe('traces (OpenTelemetry)', () => {
  let tracing: Tracing;
  let exporter: InMemorySpanExporter;
  let t: TestApp;
  let key: string;

  before(async () => {
    exporter = new InMemorySpanExporter();
    tracing = startTracing({ exporter })!;
    t = await testApp({ env: { CLARION_DEFAULT_SANDBOX: 'true' } });
    ({ apiKey: key } = await t.tenant('Traced'));
    const workflow = await request(t.callback)
      .put('/v1/workflows/order.shipped')
      .set('authorization', `Bearer ${key}`)
      .send({
        trigger: 'com.acme.order.shipped', category: 'orders', channels: ['email'], recipients: '/data/recipients',
        // A plugin with something to decide, so the pipeline runs (with nothing to decide, fan-out skips it).
        plugins: { dedup: { windowSeconds: 600 } },
        templates: { email: { subject: 'Order {{ data.orderId }} shipped', text: 'On its way.' } },
      });
    expect(workflow.status, JSON.stringify(workflow.body)).to.equal(201);
    await request(t.callback).put('/v1/contracts/com.acme.order.shipped').set('authorization', `Bearer ${key}`).send({ type: 'object', required: ['orderId'] }).expect(201);
  });
  after(async () => {
    await t?.close();
    await tracing?.shutdown();
  });
  beforeEach(() => exporter.reset());

  const event = (id: string, extra: Record<string, unknown> = {}) => ({
    specversion: '1.0', id, source: '/shop', type: 'com.acme.order.shipped',
    data: { orderId: id, recipients: [{ id: `ada-${id}`, email: `ada-${id}@example.com` }] }, ...extra,
  });

  function byName(spans: ReadableSpan[], name: string): ReadableSpan {
    const found = spans.filter((s) => s.name === name);
    expect(found, `${name} in ${spans.map((s) => s.name).join(', ')}`).to.have.length(1);
    return found[0];
  }
  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

  it('gives each of two events posted at once the trace of its own request', async () => {
    const traces = ['1'.repeat(32), '2'.repeat(32)];
    await Promise.all(traces.map((traceId, i) =>
      request(t.callback)
        .post('/v1/events')
        .set('authorization', `Bearer ${key}`)
        .set('content-type', 'application/cloudevents+json')
        .set('traceparent', `00-${traceId}-${CALLER_SPAN}-01`)
        .send(JSON.stringify(event(`together-${i}`)))
        .expect(202)));
    const jobs = (await queuedJobs(t.db.knex, 'process_event')).filter((j) => typeof j.payload.traceparent === 'string');
    const events = await t.db.knex('events').whereIn('ce_id', ['together-0', 'together-1']).select('id', 'ce_id');
    for (const [i, traceId] of traces.entries()) {
      const eventId = events.find((e) => e.ce_id === `together-${i}`)!.id;
      const job = jobs.find((j) => j.payload.eventId === eventId);
      expect(job?.payload.traceparent, `together-${i}`).to.match(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    }
    await t.runJobsUntilIdle();
  });

  it("continues the caller's traceparent header from ingest to the provider call, across jobs", async () => {
    await request(t.callback)
      .post('/v1/events')
      .set('authorization', `Bearer ${key}`)
      .set('content-type', 'application/cloudevents+json')
      .set('traceparent', `00-${CALLER_TRACE}-${CALLER_SPAN}-01`)
      .send(JSON.stringify(event('trace-1')))
      .expect(202);
    // The job carries the ingest span's context.
    const [job] = (await queuedJobs(t.db.knex, 'process_event')).filter((j) => typeof j.payload.traceparent === 'string');
    expect(job.payload.traceparent).to.match(new RegExp(`^00-${CALLER_TRACE}-[0-9a-f]{16}-01$`));
    await t.runJobsUntilIdle();
    const outbox = await request(t.callback).get('/v1/outbox?channel=email').set('authorization', `Bearer ${key}`);
    expect(JSON.stringify(outbox.body.items)).to.include('ada-trace-1@example.com');

    const spans = exporter.getFinishedSpans();
    expect(spans.every((s) => s.spanContext().traceId === CALLER_TRACE), spans.map((s) => `${s.name}:${s.spanContext().traceId}`).join(' ')).to.equal(true);
    const ingest = byName(spans, 'clarion.ingest');
    const fanOutJob = byName(spans, 'clarion.job.process_event');
    const fanOut = byName(spans, 'clarion.fan_out');
    const pipeline = byName(spans, 'clarion.pipeline');
    const sendJob = byName(spans, 'clarion.job.send_delivery');
    const render = byName(spans, 'clarion.render');
    const send = byName(spans, 'clarion.send');
    expect(parentOf(ingest)).to.equal(CALLER_SPAN);
    expect(ingest.attributes).to.include({ 'cloudevents.event_id': 'trace-1', 'cloudevents.event_type': 'com.acme.order.shipped', 'clarion.ingest.accepted': 1 });
    expect(job.payload.traceparent).to.equal(`00-${CALLER_TRACE}-${ingest.spanContext().spanId}-01`);
    expect(parentOf(fanOutJob)).to.equal(ingest.spanContext().spanId);
    expect(parentOf(fanOut)).to.equal(fanOutJob.spanContext().spanId);
    expect(parentOf(pipeline)).to.equal(fanOut.spanContext().spanId);
    expect(fanOut.attributes['clarion.notifications']).to.equal(1);
    // The send job was queued inside the fan-out (or a dispatch job it queued): its ancestry leads back to ingest.
    const ids = new Map(spans.map((s) => [s.spanContext().spanId, s]));
    const ancestry: string[] = [];
    for (let s: ReadableSpan | undefined = sendJob; s; s = ids.get(parentOf(s) ?? '')) ancestry.push(s.name);
    expect(ancestry).to.include.members(['clarion.job.send_delivery', 'clarion.fan_out', 'clarion.job.process_event', 'clarion.ingest']);
    expect(parentOf(render)).to.equal(sendJob.spanContext().spanId);
    expect(parentOf(send)).to.equal(sendJob.spanContext().spanId);
    expect(send.attributes).to.include({ 'clarion.channel': 'email', 'clarion.adapter': 'sandbox' });
  });

  it('continues the trace of the CloudEvents traceparent extension when the request carries none', async () => {
    const extensionSpan = 'b7ad6b7169203331';
    await request(t.callback)
      .post('/v1/events')
      .set('authorization', `Bearer ${key}`)
      .set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify(event('trace-2', { traceparent: `00-${CALLER_TRACE}-${extensionSpan}-01` })))
      .expect(202);
    await t.runJobsUntilIdle();
    const spans = exporter.getFinishedSpans();
    expect(parentOf(byName(spans, 'clarion.ingest'))).to.equal(extensionSpan);
    expect(spans.map((s) => s.name)).to.include('clarion.send');
    expect(spans.every((s) => s.spanContext().traceId === CALLER_TRACE)).to.equal(true);
  });

  it('refuses nothing for a malformed traceparent: the event starts a trace of its own', async () => {
    await request(t.callback)
      .post('/v1/events')
      .set('authorization', `Bearer ${key}`)
      .set('content-type', 'application/cloudevents+json')
      .set('traceparent', 'not-a-trace')
      .send(JSON.stringify(event('trace-3')))
      .expect(202);
    const ingest = byName(exporter.getFinishedSpans(), 'clarion.ingest');
    expect(ingest.parentSpanContext).to.equal(undefined);
    expect(ingest.spanContext().traceId).to.not.equal(CALLER_TRACE);
  });

  it('puts the trace id on log lines written inside a span', async () => {
    const lines: string[] = [];
    const log = createLogger('info', new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }) as never);
    let traceId = '';
    await withSpan('test.logging', {}, async (span) => {
      traceId = span.spanContext().traceId;
      log.child({ component: 'x' }).info('inside');
    });
    log.info('outside');
    const [inside, outside] = lines.map((l) => JSON.parse(l));
    expect(inside).to.include({ msg: 'inside', traceId });
    expect(inside.spanId).to.match(/^[0-9a-f]{16}$/);
    expect(outside).to.not.have.property('traceId');
  });
});

describe('traces off, and over OTLP', () => {
  it('are off without an OTLP endpoint: nothing recorded, nothing carried in job payloads', async () => {
    expect(startTracing({ env: {} })).to.equal(undefined);
    expect(startTracing({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'true' } })).to.equal(undefined);
    await withSpan('nothing', {}, async () => {
      expect(currentTraceparent()).to.equal(undefined);
    });
    const t = await testApp();
    try {
      const { apiKey } = await t.tenant('Untraced', { acceptUnvalidatedTypes: true });
      await request(t.callback)
        .post('/v1/events')
        .set('authorization', `Bearer ${apiKey}`)
        .set('content-type', 'application/cloudevents+json')
        .set('traceparent', `00-${CALLER_TRACE}-${CALLER_SPAN}-01`)
        .send(JSON.stringify({ specversion: '1.0', id: 'off-1', source: '/x', type: 'com.acme.x' }))
        .expect(202);
      const jobs = await queuedJobs(t.db.knex, 'process_event');
      expect(jobs).to.have.length(1);
      expect(jobs[0].payload).to.not.have.property('traceparent');
    } finally {
      await t.close();
    }
  });

  it('exports spans to OTEL_EXPORTER_OTLP_ENDPOINT (OTLP/HTTP JSON to /v1/traces)', async () => {
    const received: Array<{ path: string; body: string }> = [];
    const collector = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push({ path: req.url ?? '', body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    collector.listen(0, '127.0.0.1');
    await once(collector, 'listening');
    const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    const tracing = startTracing({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SERVICE_NAME: 'clarion-test' } });
    expect(tracing).to.not.equal(undefined);
    try {
      await withSpan('clarion.export_check', { attributes: { 'clarion.check': 'yes' } }, async () => {});
    } finally {
      await tracing!.shutdown();
      collector.close();
    }
    expect(received.map((r) => r.path)).to.deep.equal(['/v1/traces']);
    const body = JSON.parse(received[0].body);
    const spans = body.resourceSpans.flatMap((r: { scopeSpans: Array<{ spans: unknown[] }> }) => r.scopeSpans.flatMap((s) => s.spans));
    expect(spans.map((s: { name: string }) => s.name)).to.deep.equal(['clarion.export_check']);
    const resource = body.resourceSpans[0].resource.attributes.find((a: { key: string }) => a.key === 'service.name');
    expect(resource.value.stringValue).to.equal('clarion-test');
  });
});

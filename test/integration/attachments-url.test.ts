import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { testApp, type TestApp } from '../support/clarion.ts';

/**
 * Attachments given by URL, fetched at ingest through the operator's outbound policy, as an
 * attacker would aim them: the operator here lets only the host name `localhost` through (what a
 * file server on the operator's network would be), so a literal loopback address, a metadata
 * address, or a redirect from the allowed host to loopback are refused, with the reason in the
 * answer, and never reached. Size and type limits hold while the body streams.
 */
describe('attachments by URL (integration, outbound policy)', () => {
  let t: TestApp;
  let key: string;
  let tenantId: string;
  let server: http.Server;
  let port: number;
  let seq = 0;
  const requests: string[] = [];
  const pdf = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');
  const hangs: http.ServerResponse[] = [];
  /** Answers of `/held.pdf` the test sends when it chooses. */
  const held: http.ServerResponse[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      requests.push(`${req.headers.host} ${req.url}`);
      const path = req.url ?? '/';
      if (path === '/invoice.pdf') return void res.writeHead(200, { 'content-type': 'application/pdf', 'content-length': pdf.length }).end(pdf);
      if (path === '/moved') return void res.writeHead(302, { location: '/invoice.pdf' }).end();
      if (path === '/to-loopback') return void res.writeHead(302, { location: `http://127.0.0.1:${port}/invoice.pdf` }).end();
      if (path === '/to-metadata') return void res.writeHead(301, { location: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/' }).end();
      if (path === '/loop') return void res.writeHead(302, { location: '/loop' }).end();
      if (path === '/page.html') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>');
      if (path === '/declared-big') return void res.writeHead(200, { 'content-type': 'application/pdf', 'content-length': 50_000 }).end(Buffer.alloc(50_000));
      if (path === '/stream-big') {
        // No length announced: the limit has to hold while the body streams.
        res.writeHead(200, { 'content-type': 'application/pdf' });
        for (let i = 0; i < 40; i++) res.write(Buffer.alloc(1024, 0x25));
        return void res.end();
      }
      if (path === '/hang') return void hangs.push(res.writeHead(200, { 'content-type': 'application/pdf' }));
      if (path === '/held.pdf') return void held.push(res);
      res.writeHead(404).end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
    t = await testApp({ env: { CLARION_OUTBOUND_ALLOWLIST: 'localhost', CLARION_OUTBOUND_ALLOW_PRIVATE: 'false', CLARION_ATTACHMENT_FETCH_TIMEOUT_MS: '300' } });
    ({ apiKey: key, tenantId } = await t.tenant('Acme', { acceptUnvalidatedTypes: true, attachments: { maxBytes: 10_000 } }));
    await call('put', '/v1/workflows/invoice.due').send({ trigger: 'com.acme.invoice.due', channels: ['in_app'], templates: { in_app: { title: 'Invoice', body: '{% for a in data.attachments %}{{ a.filename }}{% endfor %}' } } }).expect(201);
  });
  after(async () => {
    for (const res of hangs) res.destroy();
    server.closeAllConnections();
    server.close();
    await t.close();
  });
  const call = (method: 'post' | 'put' | 'get' | 'patch', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${key}`);
  const send = (attachments: unknown[], expected = 202) =>
    call('post', '/v1/events').set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: `inv-${++seq}`, source: '/billing', type: 'com.acme.invoice.due', data: { recipients: ['ada'], attachments } }))
      .expect(expected);
  const refusal = async (url: string, contentType: string | undefined = 'application/pdf') => {
    const before = requests.length;
    const events = Number((await t.db.knex('events').where({ tenant_id: tenantId }).count({ n: '*' }))[0].n);
    const res = await send([{ filename: 'INV-42.pdf', url, ...(contentType ? { contentType } : {}) }], 400);
    expect(res.body.errors).to.have.length(1);
    expect(res.body.errors[0].pointer).to.equal('/data/attachments/0/url');
    // Nothing is stored for a refused event.
    expect(Number((await t.db.knex('events').where({ tenant_id: tenantId }).count({ n: '*' }))[0].n)).to.equal(events);
    return { message: res.body.errors[0].message as string, requests: requests.slice(before) };
  };

  it('fetches the file once for the event, following a redirect on the allowed host', async () => {
    const res = await send([
      { filename: 'INV-42.pdf', url: `http://localhost:${port}/invoice.pdf`, contentType: 'application/pdf' },
      { filename: 'copy.pdf', url: `http://localhost:${port}/moved` },
    ]);
    const eventId = res.body.accepted[0].eventId;
    const rows = await t.db.knex('attachments').where({ tenant_id: tenantId, event_id: eventId }).orderBy('filename').select('filename', 'content_type', 'content');
    expect(rows.map((r) => [r.filename, r.content_type, Buffer.compare(r.content, pdf)])).to.deep.equal([['INV-42.pdf', 'application/pdf', 0], ['copy.pdf', 'application/pdf', 0]]);
    const event = (await call('get', `/v1/events/${eventId}`).expect(200)).body;
    const sha256 = createHash('sha256').update(pdf).digest('hex');
    expect(event.cloudevent.data.attachments).to.deep.equal([
      { filename: 'INV-42.pdf', contentType: 'application/pdf', size: pdf.length, sha256 },
      { filename: 'copy.pdf', contentType: 'application/pdf', size: pdf.length, sha256 },
    ]);
    await t.runJobsUntilIdle();
    expect((await call('get', `/v1/events/${eventId}`).expect(200)).body.notifications).to.have.length(1);
  });

  it('refuses a literal loopback address without connecting', async () => {
    const { message, requests: seen } = await refusal(`http://127.0.0.1:${port}/invoice.pdf`);
    expect(message).to.match(/^refused: 127\.0\.0\.1 is a loopback address/);
    expect(seen).to.deep.equal([]);
  });

  it('refuses cloud metadata addresses in every spelling', async () => {
    for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://[::ffff:169.254.169.254]/', 'http://2852039166/', 'http://0xa9.0xfe.0xa9.0xfe/']) {
      expect((await refusal(url)).message, url).to.match(/^refused: (169\.254\.169\.254 is|::ffff:a9fe:a9fe embeds 169\.254\.169\.254,) a cloud metadata address/);
    }
  });

  it('refuses a redirect from the allowed host to loopback or to metadata, never making the second hop', async () => {
    const loopback = await refusal(`http://localhost:${port}/to-loopback`);
    expect(loopback.message).to.match(/^refused: 127\.0\.0\.1 is a loopback address/);
    expect(loopback.requests).to.deep.equal([`localhost:${port} /to-loopback`]);
    expect((await refusal(`http://localhost:${port}/to-metadata`)).message).to.match(/^refused: 169\.254\.169\.254 is a cloud metadata address/);
    expect((await refusal(`http://localhost:${port}/loop`)).message).to.equal('more than 5 redirects');
  });

  it('refuses other schemes and credentials in the URL', async () => {
    expect((await refusal('file:///etc/passwd')).message).to.match(/file: URLs are not allowed/);
    expect((await refusal(`http://user:secret@localhost:${port}/invoice.pdf`)).message).to.match(/credentials/);
    expect((await refusal('not a url')).message).to.match(/is not a valid URL/);
  });

  it("holds the tenant's size and type limits while fetching, and its deadline", async () => {
    expect((await refusal(`http://localhost:${port}/declared-big`)).message).to.equal("the file is 50000 bytes, over the tenant's limit of 10000");
    expect((await refusal(`http://localhost:${port}/stream-big`)).message).to.equal("the file is over the tenant's limit of 10000 bytes");
    expect((await refusal(`http://localhost:${port}/page.html`, undefined)).message).to.equal("the server answered text/html, not one of the tenant's accepted types");
    expect((await refusal(`http://localhost:${port}/missing.pdf`)).message).to.equal('the server answered 404');
    expect((await refusal(`http://localhost:${port}/hang`)).message).to.equal('no complete answer within 300 ms');
  });

  it('refuses content and url together, naming the field', async () => {
    const res = await send([{ filename: 'a.pdf', contentType: 'application/pdf', url: `http://localhost:${port}/invoice.pdf`, content: pdf.toString('base64') }], 400);
    expect(res.body.errors).to.deep.equal([{ pointer: '/data/attachments/0/url', message: 'give either content (base64) or url, not both' }]);
  });

  it("fetches a schedule occurrence's file before locking the schedule, so editing it never waits for the file server", async () => {
    const url = `http://localhost:${port}/held.pdf`;
    await call('post', '/v1/schedules')
      .send({ key: 'statement', cron: '0 9 1 * *', timezone: 'Europe/Paris', recipients: ['ada'], event: { type: 'com.acme.invoice.due', data: { month: 'May', attachments: [{ filename: 'statement.pdf', url, contentType: 'application/pdf' }] } } })
      .expect(201);
    const row = await t.db.knex('schedules').where({ tenant_id: tenantId, key: 'statement' }).first('id', 'next_at');
    const occurrence = new Date(row.next_at).toISOString();
    const firing = t.services.schedules.fire(row.id, tenantId, occurrence);
    // The file server has the request and does not answer yet.
    while (held.length === 0) await once(server, 'request');
    // The schedule is edited meanwhile (its event's data): the edit does not wait for the fetch.
    await call('patch', '/v1/schedules/statement').send({ event: { type: 'com.acme.invoice.due', data: { month: 'June', attachments: [{ filename: 'statement.pdf', url, contentType: 'application/pdf' }] } } }).expect(200);
    held.shift()!.writeHead(200, { 'content-type': 'application/pdf' }).end(pdf);
    // The occurrence saw the edit under its lock and prepared the event again from the new version.
    while (held.length === 0) await once(server, 'request');
    held.shift()!.writeHead(200, { 'content-type': 'application/pdf' }).end(pdf);
    expect(await firing).to.equal('fired');
    const view = (await call('get', '/v1/schedules/statement').expect(200)).body;
    expect(view).to.deep.include({ firedCount: 1, lastError: null });
    const event = (await call('get', `/v1/events/${view.lastEventId}`).expect(200)).body;
    expect(event.cloudevent.data.month).to.equal('June');
    expect(event.cloudevent.data.attachments).to.deep.equal([{ filename: 'statement.pdf', contentType: 'application/pdf', size: pdf.length, sha256: createHash('sha256').update(pdf).digest('hex') }]);
    // The same occurrence again (a second worker): nothing fetched, nothing emitted twice.
    const before = requests.length;
    expect(await t.services.schedules.fire(row.id, tenantId, occurrence)).to.equal('skipped');
    expect(requests.length).to.equal(before);
  });
});

import { expect } from 'chai';
import { simpleParser } from 'mailparser';
import request from 'supertest';
import { testApp, type TestApp } from '../support/clarion.ts';
import { SmtpSink } from '../support/smtp.ts';

/**
 * Attachments: files an event carries in `data.attachments` (base64), checked against the
 * tenant's limits at ingest, stored once per event and sent with its emails: what a real SMTP
 * server receives is parsed by mailparser, part by part.
 */
describe('attachments (integration, SMTP on loopback)', () => {
  let t: TestApp;
  let key: string;
  let tenantId: string;
  let seq = 0;
  const sink = new SmtpSink();
  // A small but real PDF, and a CSV.
  const pdf = Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n');
  const csv = Buffer.from('line,amount\nconsulting,1200.00\n');
  before(async () => {
    await sink.start();
    t = await testApp();
    ({ apiKey: key, tenantId } = await t.tenant('Acme', { acceptUnvalidatedTypes: true }));
    await call('post', '/v1/providers').send({ channel: 'email', adapter: 'smtp', name: 'loopback', config: { host: '127.0.0.1', port: sink.port, from: 'Acme <billing@acme.example>', user: 'clarion', password: 'secret', timeoutSeconds: 5 } }).expect(201);
    await call('put', '/v1/workflows/invoice.due')
      .send({ trigger: 'com.acme.invoice.due', channels: ['email'], templates: { email: { subject: 'Invoice {{ data.invoice }}', text: 'Attached: {% for a in data.attachments %}{{ a.filename }} {% endfor %}' } } })
      .expect(201);
  });
  after(async () => {
    await t.close();
    await sink.stop();
  });
  const call = (method: 'post' | 'put' | 'get' | 'patch', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${key}`);
  const send = (data: Record<string, unknown>, expected = 202) =>
    call('post', '/v1/events').set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: `inv-${++seq}`, source: '/billing', type: 'com.acme.invoice.due', data }))
      .expect(expected);

  it('sends an email with two attachments, stored once for every recipient', async () => {
    const res = await send({
      invoice: 'INV-42',
      recipients: [{ id: 'ada', email: 'ada@example.com' }, { id: 'bob', email: 'bob@example.com' }],
      attachments: [
        { filename: 'INV-42.pdf', contentType: 'application/pdf', content: pdf.toString('base64') },
        { filename: 'lines.csv', contentType: 'text/csv', content: csv.toString('base64') },
      ],
    });
    const eventId = res.body.accepted[0].eventId;
    await t.runJobsUntilIdle();
    for (const to of ['ada@example.com', 'bob@example.com']) {
      const mail = await simpleParser((await sink.mailTo(to)).raw);
      expect(mail.subject).to.equal('Invoice INV-42');
      expect(mail.text?.trim()).to.equal('Attached: INV-42.pdf lines.csv');
      expect(mail.attachments.map((a) => [a.filename, a.contentType, a.contentDisposition])).to.deep.equal([['INV-42.pdf', 'application/pdf', 'attachment'], ['lines.csv', 'text/csv', 'attachment']]);
      expect(mail.attachments[0].content.equals(pdf)).to.equal(true);
      expect(mail.attachments[1].content.equals(csv)).to.equal(true);
    }
    // Once per event; the stored event keeps a reference, not the bytes.
    const rows = await t.db.knex('attachments').where({ tenant_id: tenantId }).select('event_id', 'filename', 'size');
    expect(rows).to.deep.equal([{ event_id: eventId, filename: 'INV-42.pdf', size: pdf.length }, { event_id: eventId, filename: 'lines.csv', size: csv.length }]);
    const stored = (await call('get', `/v1/events/${eventId}`).expect(200)).body;
    expect(stored.cloudevent.data.attachments[0]).to.deep.equal({ filename: 'INV-42.pdf', contentType: 'application/pdf', size: pdf.length, sha256: stored.cloudevent.data.attachments[0].sha256 });
    expect(JSON.stringify(stored)).not.to.include(pdf.toString('base64'));
  });

  it("refuses attachments outside the tenant's limits, naming each, storing nothing", async () => {
    const before = await t.db.knex('events').where({ tenant_id: tenantId }).count({ n: '*' }).first();
    const errors = async (attachments: unknown) => (await send({ recipients: ['ada'], attachments }, 400)).body.errors.map((e: { pointer: string }) => e.pointer);
    expect(await errors([{ filename: 'run.exe', contentType: 'application/x-msdownload', content: 'TVqQAA==' }])).to.deep.equal(['/data/attachments/0/contentType']);
    expect(await errors([{ filename: '../../etc/passwd', contentType: 'text/plain', content: 'aGk=' }])).to.deep.equal(['/data/attachments/0/filename']);
    expect(await errors([{ filename: 'a.txt', contentType: 'text/plain', content: 'not base64!' }])).to.deep.equal(['/data/attachments/0/content']);
    expect(await errors([{ filename: 'a.pdf', contentType: 'application/pdf', url: 'http://169.254.169.254/latest/meta-data' }])).to.deep.equal(['/data/attachments/0/url']);
    expect(await errors('INV-42.pdf')).to.deep.equal(['/data/attachments']);
    await call('patch', '/v1/tenant').send({ settings: { attachments: { maxBytes: 10, maxFiles: 1, types: ['text/plain'] } } }).expect(200);
    expect(await errors([{ filename: 'a.txt', contentType: 'text/plain', content: Buffer.from('more than ten bytes').toString('base64') }, { filename: 'b.txt', contentType: 'text/plain', content: 'aGk=' }])).to.deep.equal(['/data/attachments', '/data/attachments/0/content']);
    expect(await errors([{ filename: 'INV.pdf', contentType: 'application/pdf', content: 'aGk=' }])).to.deep.equal(['/data/attachments/0/contentType']);
    expect(await t.db.knex('events').where({ tenant_id: tenantId }).count({ n: '*' }).first()).to.deep.equal(before);
    await send({ recipients: [{ id: 'cy', email: 'cy@example.com' }], attachments: [{ filename: 'ok.txt', contentType: 'text/plain', content: 'aGk=' }] });
    await t.runJobsUntilIdle();
    const mail = await simpleParser((await sink.mailTo('cy@example.com')).raw);
    expect(mail.attachments.map((a) => a.content.toString())).to.deep.equal(['hi']);
  });
});

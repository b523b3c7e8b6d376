import { expect } from 'chai';
import request from 'supertest';
import { erasePerson } from '../../core/subscribers/erasure.ts';
import { testApp, type TestApp } from '../support/clarion.ts';
import { SmtpSink } from '../support/smtp.ts';
import { Receiver } from './webhooks-receiver.ts';

/**
 * `DELETE /v1/subscribers/:id` erases: after a subscriber received email (real SMTP on loopback),
 * SMS (the sandbox outbox), in-app messages and a failed WhatsApp attempt whose error quotes her
 * address, and after events carried her inline, no row of any table holds her email, phone, name
 * or id, while the other recipient of the same events keeps theirs. Her id stays erased: later
 * events naming it reach no one, on both fan-out paths, until the tenant reactivates it.
 */
describe('erasing a subscriber (integration)', () => {
  let t: TestApp;
  let key: string;
  let tenantId: string;
  let sink: SmtpSink;
  let receiver: Receiver;
  let seq = 0;
  const ada = { id: 'ada-1815', name: 'Ada Lovelace', email: 'ada@analytical.example', phone: '+14155550100', locale: 'en' };
  const bob = { id: 'bob-1791', name: 'Bob Babbage', email: 'bob@analytical.example', phone: '+14155550199' };
  /** What must appear nowhere once she is erased (ILIKE patterns). */
  const traces = [ada.email, ada.phone, ada.phone.slice(1), ada.name, ada.id].map((s) => `%${s}%`);

  before(async () => {
    t = await testApp({ env: { CLARION_DEFAULT_SANDBOX: 'true', CLARION_PUBLIC_URL: 'https://clarion.example.com' } });
    ({ apiKey: key, tenantId } = await t.tenant('Acme', { acceptUnvalidatedTypes: true }));
    sink = new SmtpSink();
    await sink.start();
    receiver = await Receiver.start();
    // A tenant's endpoint that echoes what it was sent: its answers are stored with each attempt.
    receiver.always({ status: 200, body: `thanks, noted ${ada.phone}` });
    await call('post', '/v1/providers').send({ channel: 'email', adapter: 'smtp', config: { host: '127.0.0.1', port: sink.port, from: 'Acme <no-reply@acme.example>', user: 'u', password: 'secret' } }).expect(201);
    await call('post', '/v1/providers').send({ channel: 'whatsapp', adapter: 'sandbox', config: { rejectAddresses: [ada.email] } }).expect(201);
    await call('post', '/v1/webhooks/endpoints').send({ url: receiver.url() }).expect(201);
    // No plugins: the one-statement fan-out.
    await call('put', '/v1/workflows/order.shipped').send({
      trigger: 'com.acme.order.shipped', category: 'orders', channels: ['email', 'sms', 'in_app', 'whatsapp'],
      templates: {
        email: { subject: 'Order {{ data.orderId }} shipped', text: 'Hello {{ subscriber.name }}, it is on its way to {{ subscriber.email }}.' },
        sms: { text: 'Hi {{ subscriber.name }}: order {{ data.orderId }} shipped' },
        in_app: { title: 'Order {{ data.orderId }}', body: 'Shipped, {{ subscriber.name }}' },
        whatsapp: { text: 'Order {{ data.orderId }} shipped, {{ subscriber.name }}' },
      },
    }).expect(201);
    // A plugin: the transaction path.
    await call('put', '/v1/workflows/order.delayed').send({
      trigger: 'com.acme.order.delayed', channels: ['in_app'], recipients: '/data/people', plugins: { dedup: {} },
      templates: { in_app: { title: 'Order {{ data.orderId }} delayed', body: 'Sorry, {{ subscriber.name }}' } },
    }).expect(201);
  });
  after(async () => {
    await t.services.delivery.close();
    await sink.stop();
    await receiver.close();
    await t.close();
  });

  const call = (method: 'get' | 'put' | 'post' | 'delete', url: string) => request(t.callback)[method](url).set('authorization', `Bearer ${key}`);
  const post = async (type: string, data: unknown, extra: Record<string, unknown> = {}) => {
    const res = await call('post', '/v1/events').set('content-type', 'application/cloudevents+json')
      .send(JSON.stringify({ specversion: '1.0', id: `e-${++seq}`, source: '/shop', type, data, ...extra })).expect(202);
    return res.body.accepted[0].eventId as string;
  };
  const event = async (id: string) => (await call('get', `/v1/events/${id}`).expect(200)).body;

  /** Every table of the public schema, and what each keeps of an erased subscriber. A new table fails the test until it is listed. */
  const TABLES: Record<string, string> = {
    tenants: 'nothing of subscribers',
    api_keys: 'nothing of subscribers',
    admin_users: 'console logins, not subscribers',
    admin_sessions: 'console sessions, not subscribers',
    admin_tokens: 'console invitations and password resets, not subscribers',
    admin_sso: "the tenant's single sign-on settings",
    subscribers: 'her row: a marker (hash of her id), created_at, erased_at; every field cleared',
    contracts: 'event schemas: nothing of subscribers',
    events: 'the events, with the entries naming her tombstoned and her email, phone and name replaced',
    workflows: "the tenant's configuration (a fixed list naming her id would stay: none here)",
    templates: "the tenant's templates",
    template_layouts: "the tenant's layouts",
    notifications: 'workflow, status, times, channels; no content; decisions without details',
    provider_configs: 'credentials (encrypted); last_error redacted',
    deliveries: 'channel, status, error class and code, provider message id; error message "[erased]"',
    delivery_attempts: 'outcome, code, timing; error message "[erased]", no response',
    preferences: 'hers deleted',
    webhook_endpoints: "the tenant's endpoints",
    webhook_messages: 'payloads without her id, email or phone',
    webhook_attempts: 'status and timing; response bodies redacted',
    audit_logs: 'what happened and when; entries she made name subscriber:[erased]',
    outbox_messages: 'hers deleted',
    inbox_items: 'hers deleted',
    inbox_changes: 'hers deleted (copies of her items)',
    inbox_presence: 'hers deleted (when she was online)',
    inbox_cursors: 'the number of her inbox\'s last change: nothing of her',
    worker_heartbeats: 'workers, not subscribers',
    dedup_keys: 'hers deleted',
    rate_limit_hits: 'hers deleted',
    digests: 'hers deleted',
    topics: "the tenant's audiences: keys and names",
    topic_subscriptions: 'hers deleted',
    topic_fan_outs: 'streams of events to topics: topic keys, and the ids they skip with hers "[erased]"',
    interactions: 'hers deleted (opens, clicks, actions: user agent and network)',
    analytics_deltas: 'counts per workflow, channel, provider, variant and locale: nobody in them',
    analytics_minute: 'counts, nobody in them',
    analytics_hour: 'counts, nobody in them',
    analytics_day: 'counts, nobody in them',
    analytics_latency_minute: 'latency histograms, nobody in them',
    analytics_latency_hour: 'latency histograms, nobody in them',
    analytics_latency_day: 'latency histograms, nobody in them',
    analytics_coarse_hour: 'counts per workflow, variant and locale, nobody in them',
    analytics_coarse_day: 'counts per workflow, variant and locale, nobody in them',
    analytics_latency_coarse_hour: 'latency histograms, nobody in them',
    analytics_latency_coarse_day: 'latency histograms, nobody in them',
    analytics_channel_minute: 'counts per channel, nobody in them',
    analytics_latency_channel_minute: 'latency histograms, nobody in them',
    schedules: 'recurring sends: entries naming her tombstoned, her email and phone replaced',
    attachments: 'files of the events she was notified of: deleted (the events stay, redacted)',
    knex_migrations: 'migrations applied',
    knex_migrations_lock: 'migration lock',
  };

  /** Rows of each table whose text or JSON holds one of `patterns`, as `table.column: count`. */
  async function rowsHolding(patterns: string[]): Promise<Record<string, number>> {
    const { rows: columns } = await t.db.knex.raw(
      `select c.table_name, c.column_name from information_schema.columns c
         join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
        where c.table_schema = 'public' and t.table_type = 'BASE TABLE'
          and (c.data_type in ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY') or c.udt_name in ('bytea'))`,
    );
    const found: Record<string, number> = {};
    for (const { table_name: table, column_name: column } of columns as Array<{ table_name: string; column_name: string }>) {
      const expression = table === 'events' && column === 'data_base64' ? `convert_from(decode("data_base64", 'base64'), 'UTF8')` : `"${column}"::text`;
      const { rows } = await t.db.knex.raw(`select count(*)::int as n from "${table}" where ${expression} ilike any(?::text[])`, [patterns]);
      if (rows[0].n > 0) found[`${table}.${column}`] = rows[0].n;
    }
    return found;
  }

  let shipped: string;
  let delayed: string;
  let note: string;
  let text: string;

  it('every table of the schema has been considered', async () => {
    const { rows } = await t.db.knex.raw(`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`);
    expect(rows.map((r: { table_name: string }) => r.table_name)).to.have.members(Object.keys(TABLES));
  });

  it('leaves nothing of her in any table, and the other recipient of the same events keeps theirs', async () => {
    shipped = await post('com.acme.order.shipped', {
      orderId: 'O-1',
      recipients: [ada, bob],
      note: `Call Ada at ${ada.phone} before noon`,
      assignee: { name: ada.name, email: ada.email },
    }, { contact: ada.email });
    delayed = await post('com.acme.order.delayed', { orderId: 'O-1', people: [ada.id, { id: bob.id }], customer: ada.name }, { subject: 'order-O-1' });
    // Events no workflow takes: they can only be found by what they hold. Binary data, and text.
    const binary = async (contentType: string, body: string) => {
      const res = await call('post', '/v1/events').set({ 'ce-specversion': '1.0', 'ce-id': `e-${++seq}`, 'ce-source': '/crm', 'ce-type': 'com.acme.note', 'content-type': contentType }).send(Buffer.from(body)).expect(202);
      return res.body.accepted[0].eventId as string;
    };
    note = await binary('application/octet-stream', `note: write to ${ada.email}`);
    text = await binary('text/plain', `Call ${ada.phone} tomorrow`);
    await t.runJobs();

    // What she received, everywhere.
    const mail = await sink.mailTo(ada.email);
    expect(mail.text).to.include('Hello Ada Lovelace');
    expect((await call('get', `/v1/outbox?to=${encodeURIComponent(ada.phone)}`).expect(200)).body.items.map((m: { channel: string }) => m.channel)).to.deep.equal(['sms']);
    const mine = (await call('get', `/v1/notifications?subscriber=${ada.id}`).expect(200)).body.items;
    expect(mine).to.have.length(2);
    const detail = (await call('get', `/v1/notifications/${mine.find((n: { workflow: string }) => n.workflow === 'order.shipped').id}`).expect(200)).body;
    const whatsapp = detail.deliveries.find((d: { channel: string }) => d.channel === 'whatsapp');
    expect(whatsapp.error.message).to.include(ada.email);
    // She unsubscribed from the link in the email: a preference of hers, and an audit entry she made.
    const link = /List-Unsubscribe:\s*<https:\/\/clarion\.example\.com([^>]+)>/.exec(mail.raw.replace(/\r?\n[ \t]+/g, ''))![1];
    await request(t.callback).post(link).type('form').send('List-Unsubscribe=One-Click').expect(200);
    await t.runJobs();
    // A schedule naming her (inline, and by id in its data), and an event that attached a file for her.
    await call('post', '/v1/schedules').send({ key: 'weekly-ada', cron: '0 9 * * 1', recipients: [ada, bob.id], event: { type: 'com.acme.order.delayed', data: { people: [ada.id], note: `for ${ada.email}` } } }).expect(201);
    const invoice = await post('com.acme.order.delayed', { orderId: 'O-2', people: [ada.id], attachments: [{ filename: 'invoice.txt', contentType: 'text/plain', content: Buffer.from(`Invoice for ${ada.name}`).toString('base64') }] });
    const bobsFile = await post('com.acme.order.delayed', { orderId: 'O-3', people: [bob.id], attachments: [{ filename: 'bob.txt', contentType: 'text/plain', content: Buffer.from('for Bob').toString('base64') }] });
    await t.runJobs();
    const before = await rowsHolding(traces);
    expect(before).to.have.property('schedules.event');
    for (const column of ['subscribers.email', 'events.data', 'events.extensions', 'events.data_base64', 'notifications.content', 'outbox_messages.recipient', 'inbox_items.body', 'delivery_attempts.error_message', 'deliveries.error_message', 'webhook_messages.payload', 'webhook_attempts.response_body', 'audit_logs.actor', 'preferences.scope_id', 'dedup_keys.key']) {
      expect(before, column).to.have.property(column);
    }

    await call('delete', `/v1/subscribers/${ada.id}`).expect(204);

    expect(await rowsHolding(traces)).to.deep.equal({});
    expect(await t.db.knex('attachments').whereIn('event_id', [invoice, bobsFile]).pluck('filename')).to.deep.equal(['bob.txt']);
    const schedule = (await call('get', '/v1/schedules/weekly-ada').expect(200)).body;
    expect(schedule.event.recipients).to.deep.equal([{ id: '[erased]' }, bob.id]);
    await call('delete', '/v1/schedules/weekly-ada').expect(204);
    // Bob, a recipient of the same events, is untouched.
    const bobs = await rowsHolding([`%${bob.email}%`]);
    expect(bobs).to.include.keys('subscribers.email', 'events.data');
    expect((await call('get', `/v1/subscribers/${bob.id}`).expect(200)).body).to.include({ name: bob.name, email: bob.email });
  });

  it('keeps the events, with tombstones where she was named and the rest as sent', async () => {
    const first = (await event(shipped)).cloudevent;
    expect(first.data).to.deep.equal({
      orderId: 'O-1',
      recipients: [{ id: '[erased]' }, bob],
      note: 'Call Ada at [erased] before noon',
      assignee: { name: '[erased]', email: '[erased]' },
    });
    expect(first.contact).to.equal('[erased]');
    expect(first).to.include({ id: 'e-1', source: '/shop', type: 'com.acme.order.shipped' });
    const second = (await event(delayed)).cloudevent;
    expect(second.data).to.deep.equal({ orderId: 'O-1', people: ['[erased]', { id: bob.id }], customer: '[erased]' });
    // Binary data cannot be edited without knowing its format: it goes.
    const third = (await event(note)).cloudevent;
    expect(third).to.not.have.property('data_base64');
    expect(third).to.include({ type: 'com.acme.note', datacontenttype: 'application/octet-stream' });
    expect((await event(text)).cloudevent.data).to.equal('Call [erased] tomorrow');
  });

  it('keeps her notifications anonymous, and audits the erasure with counts only', async () => {
    const audit = (await call('get', '/v1/audit?action=subscriber.erased').expect(200)).body.items;
    expect(audit).to.have.length(1);
    const { summary } = audit[0];
    // Her events include the invoice whose file went, and the schedule naming her.
    expect(summary.deleted).to.include({ inboxItems: 3, inboxChanges: 3, outboxMessages: 1, preferences: 1, dedupKeys: 1, attachments: 1 });
    expect(summary.redacted).to.include({ events: 5, notifications: 3, schedules: 1 });
    expect(summary.redacted.webhookMessages).to.be.greaterThan(0);
    expect(summary.redacted.auditEntries).to.be.greaterThan(0);
    const notifications = await t.db.knex('notifications').where({ tenant_id: tenantId, subscriber_id: audit[0].targetId });
    expect(notifications).to.have.length(3);
    for (const n of notifications) {
      const view = (await call('get', `/v1/notifications/${n.id}`).expect(200)).body;
      expect(view).to.include({ subscriberId: null, content: null });
      expect(view.decisions.every((d: Record<string, unknown>) => !('details' in d))).to.equal(true);
      for (const d of view.deliveries) {
        if (d.error) expect(d.error.message).to.equal('[erased]');
        for (const a of d.attempts) expect(a.response).to.equal(null);
      }
    }
    const whatsapp = (await call('get', `/v1/notifications/${notifications.find((n) => n.workflow_key === 'order.shipped')!.id}`).expect(200)).body.deliveries.find((d: { channel: string }) => d.channel === 'whatsapp');
    expect(whatsapp.error).to.deep.include({ class: 'permanent', code: 'sandbox_rejected', message: '[erased]' });
    await call('get', `/v1/subscribers/${ada.id}`).expect(404).expect((res) => expect(res.body.detail).to.include('erased'));
  });

  it('leaves the audit trail append-only for everything but such redactions', async () => {
    const [entry] = await t.db.knex('audit_logs').where({ tenant_id: tenantId, actor: 'subscriber:[erased]' }).select('id');
    expect(entry, 'the opt-out she made, redacted').to.not.equal(undefined);
    const attempt = (change: Record<string, unknown>, redacting: boolean) =>
      t.db.knex.transaction(async (trx) => {
        if (redacting) await trx.raw(`select set_config('clarion.redacting', 'on', true)`);
        await trx('audit_logs').where({ id: entry.id }).update(change);
      });
    for (const [change, redacting] of [[{ actor: 'someone' }, false], [{ action: 'subscriber.created' }, true], [{ created_at: new Date(0) }, true]] as const) {
      let error: Error | undefined;
      await attempt(change, redacting).catch((err: Error) => (error = err));
      expect(error?.message, JSON.stringify(change)).to.include('audit_logs is append-only');
    }
    await attempt({ actor: 'subscriber:[erased]' }, true);
  });

  it('sends nothing to her for a later event naming her, by id or inline, and the event says why (both fan-out paths)', async () => {
    const why = `subscriber ${ada.id} was erased: nothing is sent to them (PUT /v1/subscribers/${ada.id} with "reactivate": true creates them again)`;
    const atOnce = await post('com.acme.order.shipped', { orderId: 'O-2', recipients: [ada, ada.id, { id: bob.id }] });
    const viaTransaction = await post('com.acme.order.delayed', { orderId: 'O-2', people: [ada.id, ada, { id: bob.id }] });
    const mails = sink.received.length;
    await t.runJobs();
    const one = await event(atOnce);
    expect(one.notifications.map((n: { subscriberId: string }) => n.subscriberId)).to.deep.equal([bob.id]);
    expect(one.error).to.equal(why);
    const two = await event(viaTransaction);
    expect(two.notifications.map((n: { subscriberId: string }) => n.subscriberId)).to.deep.equal([bob.id]);
    expect(two.error.split('\n')).to.deep.equal([`order.delayed: recipients[0]: ${why}`, `order.delayed: recipients[1]: ${why}`]);
    expect(sink.received.slice(mails).flatMap((m) => m.to)).to.not.include(ada.email);
    // Not created again: no subscriber under her id, nothing of hers stored but what the new events carry.
    expect(await t.db.knex('subscribers').where({ tenant_id: tenantId, external_id: ada.id }).first()).to.equal(undefined);
    expect(await t.db.knex('subscribers').where({ tenant_id: tenantId, email: ada.email }).first()).to.equal(undefined);
  });

  it('refuses PUT of an erased id unless it says "reactivate": true; then events reach her again', async () => {
    const refused = await call('put', `/v1/subscribers/${ada.id}`).send({ name: ada.name, email: ada.email }).expect(409);
    expect(refused.body).to.include({ code: 'CLARION_ERR_SUBSCRIBER_ERASED', status: 409 });
    expect(refused.body.detail).to.include('"reactivate": true');
    expect(refused.headers['content-type']).to.match(/application\/problem\+json/);
    const invalid = await call('put', `/v1/subscribers/${ada.id}`).send({ reactivate: 'yes' }).expect(422);
    expect(invalid.body.errors).to.deep.equal([{ pointer: '/reactivate', message: 'must be a boolean' }]);

    const created = await call('put', `/v1/subscribers/${ada.id}`).send({ reactivate: true, name: ada.name, email: ada.email }).expect(201);
    expect(created.body).to.include({ subscriberId: ada.id, email: ada.email });
    expect(created.body).to.not.have.property('reactivate');
    // A new subscriber: the erased history is not hers again.
    expect((await call('get', `/v1/notifications?subscriber=${ada.id}`).expect(200)).body.items).to.deep.equal([]);
    expect((await call('get', `/v1/audit?targetId=${created.body.id}`).expect(200)).body.items.map((a: { action: string }) => a.action)).to.deep.equal(['subscriber.reactivated']);

    const again = await post('com.acme.order.shipped', { orderId: 'O-3', recipients: [ada.id] });
    await t.runJobs();
    expect((await event(again)).notifications.map((n: { subscriberId: string }) => n.subscriberId)).to.deep.equal([ada.id]);
    expect((await sink.mailTo(ada.email)) && sink.received.filter((m) => m.to.includes(ada.email) && m.subject === 'Order O-3 shipped')).to.have.length(1);
    // Erased again, the id is refused again.
    await call('delete', `/v1/subscribers/${ada.id}`).expect(204);
    await call('put', `/v1/subscribers/${ada.id}`).send({}).expect(409);
  });

  it('makes an event fanned out during the erasure wait for it, then send nothing (no subscriber created again)', async () => {
    const cleo = { id: 'cleo-1', name: 'Cleo Ada', email: 'cleo@analytical.example' };
    await call('put', `/v1/subscribers/${cleo.id}`).send({ name: cleo.name, email: cleo.email }).expect(201);
    // Events the erasure does not find (they name her by id only): the lock on her row is all that holds them.
    const atOnce = await post('com.acme.order.shipped', { orderId: 'O-4', recipients: [{ id: cleo.id, locale: 'fr' }] });
    const viaTransaction = await post('com.acme.order.delayed', { orderId: 'O-4', people: [{ id: cleo.id, locale: 'fr' }] });
    const row = await t.db.knex('subscribers').where({ tenant_id: tenantId, external_id: cleo.id }).first();

    const trx = await t.db.knex.transaction();
    await trx('subscribers').where({ id: row.id }).forUpdate().first('id');
    await erasePerson(trx, { tenantId, id: row.id, externalId: cleo.id, name: row.name, email: row.email, phone: row.phone }, () => []);
    const fanned = Promise.all([
      t.services.notifications.processEvent(atOnce, tenantId, 'com.acme.order.shipped'),
      t.services.notifications.processEvent(viaTransaction, tenantId, 'com.acme.order.delayed'),
    ]);
    // Both upserts of her inline object wait for the erasure's lock on her row.
    for (;;) {
      const { rows } = await t.db.knex.raw(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`);
      if (rows[0].n >= 2) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    await trx.commit();
    expect((await fanned).map((r) => r.notifications)).to.deep.equal([0, 0]);
    expect(await t.db.knex('subscribers').where({ tenant_id: tenantId, external_id: cleo.id }).first()).to.equal(undefined);
    expect((await event(atOnce)).error).to.include(`subscriber ${cleo.id} was erased`);
    expect((await event(viaTransaction)).error).to.include(`order.delayed: recipients[0]: subscriber ${cleo.id} was erased`);
  });
});

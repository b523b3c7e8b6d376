import { expect } from 'chai';
import { ConfigError, PermanentError } from '@clarion/adapter-kit';
import request from 'supertest';
import type { TemplateContext } from '../../core/templates/types.ts';
import { testApp, type TestApp } from '../support/clarion.ts';

const NOW = new Date('2026-11-21T10:00:00Z');

describe('templates (integration)', function () {
  this.timeout(30_000);
  let t: TestApp;
  let key: string;
  let tenantId: string;

  before(async () => {
    t = await testApp({ clock: { now: () => NOW } });
    ({ apiKey: key, tenantId } = await t.tenant('Acme', { brand: { name: 'Acme Corp', color: '#0f766e' } }));
  });
  after(async () => {
    await t.services.templates.close();
    await t.close();
  });

  const get = (path: string, apiKey = key) => request(t.callback).get(path).set('authorization', `Bearer ${apiKey}`);
  const post = (path: string, body: unknown, apiKey = key) => request(t.callback).post(path).set('authorization', `Bearer ${apiKey}`).send(body as object);
  const put = (path: string, body: unknown) => request(t.callback).put(path).set('authorization', `Bearer ${key}`).send(body as object);
  const del = (path: string) => request(t.callback).delete(path).set('authorization', `Bearer ${key}`);

  function context(data: unknown, subscriber: Record<string, unknown> = {}): TemplateContext {
    return {
      event: { id: 'evt-1', source: '/quotes', type: 'quotation.status_changed' },
      data,
      subscriber: { id: 'u-1', name: 'Ada', locale: 'en', timezone: 'Europe/Paris', data: {}, ...subscriber },
      tenant: { name: 'Acme', brand: {} },
      notification: { id: 'n-1', priority: 'normal', unsubscribeUrl: 'https://acme.test/u/n-1' },
    };
  }
  const quotation = (status = 'approved', id = 'Q-1') => ({ recipients: ['u-1'], quotation: { id, title: 'Fit-out', amount: 10, currency: 'EUR' }, status });

  describe('bundled templates', () => {
    it('lists the bundled defaults a new tenant sees', async () => {
      const res = await get('/v1/templates?workflow=quotation.status_changed').expect(200);
      const keys = res.body.items.map((i: { channel: string; locale: string; source: string }) => `${i.channel}/${i.locale}/${i.source}`);
      expect(keys).to.include.members(['email/en/bundled', 'email/fr/bundled', 'sms/en/bundled', 'push/fr/bundled', 'in_app/en/bundled']);
      const all = await get('/v1/templates').expect(200);
      // The nine workflows of the requirements and Clarion's own notice of a disabled webhook endpoint.
      expect(new Set(all.body.items.map((i: { workflow: string }) => i.workflow)).size).to.equal(10);
      expect((await get('/v1/templates?channel=voice&locale=fr').expect(200)).body.items.map((i: { workflow: string }) => i.workflow)).to.deep.equal([
        'incident.escalated',
        'security.suspicious_login',
      ]);
    });

    it('reads a bundled template as the parts a tenant can start editing from', async () => {
      const res = await get('/v1/templates/quotation.status_changed/email/fr').expect(200);
      expect(res.body).to.include({ workflow: 'quotation.status_changed', channel: 'email', locale: 'fr', source: 'bundled', version: null, file: 'templates/quotation.status_changed/email.njk' });
      expect(res.body.parts.subject).to.include("t('quotation:status_changed.subject'");
      expect(res.body.parts.html).to.match(/^\{% extends "_layouts\/email\.njk" %\}\{% block html %\}/);
      expect(Object.keys(res.body.parts)).to.have.members(['subject', 'preheader', 'html', 'text']);
      expect((await get('/v1/templates/incident.escalated/voice/fr').expect(200)).body.file).to.equal('templates/incident.escalated/voice.fr.njk');
    });

    it('answers 404 for a template that exists nowhere, 400 for a bad path', async () => {
      const missing = await get('/v1/templates/quotation.status_changed/webhook/en').expect(404);
      expect(missing.body.code).to.equal('CLARION_ERR_TEMPLATE_NOT_FOUND');
      expect((await get('/v1/templates/quotation.status_changed/email/de').expect(404)).body.code).to.equal('CLARION_ERR_TEMPLATE_NOT_FOUND');
      const bad = await get('/v1/templates/Bad Key!/fax/xx%20yy').expect(400);
      expect(bad.body.errors.map((e: { pointer: string }) => e.pointer)).to.deep.equal(['/path/workflow', '/path/channel', '/path/locale']);
    });
  });

  describe('versions', () => {
    const base = '/v1/templates/quotation.status_changed/sms/fr';

    it('saves a draft, publishes it, rolls back with a copy, and never changes a published version', async () => {
      const v1 = await post(`${base}/versions`, { parts: { text: 'V1 {{ data.quotation.id }} {{ data.quotation.total }}' } }).expect(201);
      expect(v1.headers.location).to.equal(`${base}/versions/1`);
      expect(v1.body).to.include({ workflow: 'quotation.status_changed', channel: 'sms', locale: 'fr', version: 1, status: 'draft', publishedAt: null, basedOnVersion: null });
      expect(v1.body.createdBy).to.match(/^api_key:/);
      expect(v1.body.warnings).to.deep.equal([
        { part: 'text', line: 1, column: 31, variable: 'data.quotation.total', message: 'data.quotation.total is not declared in templates/quotation.status_changed/schema.json' },
      ]);

      // A draft renders nothing yet: the bundled template still does.
      expect((await get(base).expect(200)).body).to.include({ source: 'bundled', latestVersion: 1, publishedVersion: null });
      const before = await t.services.templates.render({ tenantId, workflowKey: 'quotation.status_changed', channel: 'sms', locale: 'fr', context: context(quotation()) });
      expect(before).to.include({ source: 'bundled', locale: 'fr', version: null });

      const published = await post(`${base}/versions/1/publish`, {}).expect(200);
      expect(published.body).to.include({ version: 1, status: 'published', publishedAt: NOW.toISOString() });
      const rendered = await t.services.templates.render({ tenantId, workflowKey: 'quotation.status_changed', channel: 'sms', locale: 'fr-CA', context: context(quotation()) });
      expect(rendered).to.deep.equal({ parts: { text: 'V1 Q-1' }, locale: 'fr', source: 'tenant', version: 1 });

      const v2 = await post(`${base}/versions`, { parts: { text: 'V2 {{ data.quotation.id }}' }, publish: true }).expect(201);
      expect(v2.body).to.include({ version: 2, status: 'published' });
      expect(v2.body.warnings).to.deep.equal([]);
      const v1Now = await get(`${base}/versions/1`).expect(200);
      expect(v1Now.body).to.include({ status: 'archived', publishedAt: NOW.toISOString(), publishedVersion: 2 });
      expect(v1Now.body.parts).to.deep.equal({ text: 'V1 {{ data.quotation.id }} {{ data.quotation.total }}' });

      // Published once means immutable: version 1 cannot be published again, only copied by a rollback.
      const again = await post(`${base}/versions/1/publish`, {}).expect(409);
      expect(again.body.code).to.equal('CLARION_ERR_TEMPLATE_VERSION_CONFLICT');
      expect(again.body.detail).to.match(/roll back to it instead/);
      expect((await post(`${base}/versions/2/publish`, {}).expect(409)).body.detail).to.match(/already published/);
      expect((await post(`${base}/rollback`, { version: 2 }).expect(409)).body.code).to.equal('CLARION_ERR_TEMPLATE_VERSION_CONFLICT');

      const rollback = await post(`${base}/rollback`, { version: 1 }).expect(201);
      expect(rollback.headers.location).to.equal(`${base}/versions/3`);
      expect(rollback.body).to.include({ version: 3, status: 'published', basedOnVersion: 1 });
      expect(rollback.body.parts).to.deep.equal(v1Now.body.parts);
      expect((await t.services.templates.render({ tenantId, workflowKey: 'quotation.status_changed', channel: 'sms', locale: 'fr', context: context(quotation()) })).version).to.equal(3);

      const versions = await get(`${base}/versions?limit=2`).expect(200);
      expect(versions.body.items.map((v: { version: number; status: string }) => `${v.version}:${v.status}`)).to.deep.equal(['3:published', '2:archived']);
      expect(versions.body.items[0]).to.not.have.property('parts');
      const rest = await get(`${base}/versions?limit=2&cursor=${versions.body.nextCursor}`).expect(200);
      expect(rest.body).to.deep.include({ nextCursor: null });
      expect(rest.body.items.map((v: { version: number }) => v.version)).to.deep.equal([1]);

      const listed = await get('/v1/templates?workflow=quotation.status_changed&channel=sms&locale=fr').expect(200);
      expect(listed.body.items).to.deep.equal([
        { workflow: 'quotation.status_changed', channel: 'sms', locale: 'fr', source: 'tenant', bundled: true, publishedVersion: 3, latestVersion: 3, updatedAt: NOW.toISOString() },
      ]);

      const audit = await t.db.knex('audit_logs').where({ tenant_id: tenantId, target_type: 'template', target_id: 'quotation.status_changed/sms/fr' }).orderBy('id').select('action', 'summary');
      expect(audit.map((a) => a.action)).to.deep.equal(['template.version_created', 'template.published', 'template.version_published', 'template.rolled_back']);
      expect(audit[3].summary).to.deep.equal({ version: 3, basedOnVersion: 1 });

      // Unpublishing archives the tenant's version: the bundled template renders again.
      const unpublished = await post(`${base}/unpublish`, {}).expect(200);
      expect(unpublished.body).to.deep.equal({ workflow: 'quotation.status_changed', channel: 'sms', locale: 'fr', archivedVersion: 3, source: 'bundled' });
      expect((await t.services.templates.render({ tenantId, workflowKey: 'quotation.status_changed', channel: 'sms', locale: 'fr', context: context(quotation()) })).source).to.equal('bundled');
      expect((await post(`${base}/unpublish`, {}).expect(404)).body.code).to.equal('CLARION_ERR_TEMPLATE_NOT_FOUND');
    });

    it('refuses a rollback body that is not {"version": <positive integer>}, naming the field, and makes no version', async () => {
      const other = '/v1/templates/quotation.status_changed/sms/de';
      await post(`${other}/versions`, { parts: { text: 'V1 {{ data.quotation.id }}' }, publish: true }).expect(201);
      const refused = async (body: unknown) => (await post(`${other}/rollback`, body).expect(400)).body as { code: string; detail: string; errors: Array<{ pointer: string; message: string }> };
      for (const body of [{}, [], { version: '1' }, { version: null }]) {
        const problem = await refused(body);
        expect(problem, JSON.stringify(body)).to.deep.include({ code: 'CLARION_ERR_HTTP_INVALID_REQUEST', detail: 'Invalid rollback' });
        expect(problem.errors, JSON.stringify(body)).to.deep.equal([{ pointer: '/version', message: 'is required: the version to publish again (an integer)' }]);
      }
      for (const version of [0, 1.5, -3, 2_147_483_648]) {
        const problem = await refused({ version });
        expect(problem.detail, String(version)).to.equal('Invalid version');
        expect(problem.errors, String(version)).to.deep.equal([{ pointer: '/version', message: 'must be a positive integer' }]);
      }
      // The documented body has no other field: one is named, not ignored.
      const extra = await refused({ version: 1, publish: true });
      expect(extra.errors).to.deep.equal([{ pointer: '/publish', message: 'is not allowed' }]);
      expect((await get(other).expect(200)).body).to.include({ version: 1, latestVersion: 1, publishedVersion: 1 });
    });

    it('refuses in the database itself to change or delete a version once published', async () => {
      const path = '/v1/templates/issue.assigned/sms/en';
      await post(`${path}/versions`, { parts: { text: 'draft {{ data.issue.key }}' } }).expect(201);
      await post(`${path}/versions`, { parts: { text: 'live {{ data.issue.key }}' }, publish: true }).expect(201);
      const rows = () => t.db.knex('templates').where({ tenant_id: tenantId, workflow_key: 'issue.assigned', channel: 'sms' });
      const attempt = async (fn: () => Promise<unknown>) => {
        try {
          await fn();
        } catch (err) {
          return (err as Error).message;
        }
        return 'allowed';
      };
      expect(await attempt(() => rows().where({ version: 2 }).update({ parts: JSON.stringify({ text: 'tampered' }) }))).to.match(/has been published and is immutable/);
      expect(await attempt(() => rows().where({ version: 2 }).update({ status: 'draft' }))).to.match(/immutable/);
      expect(await attempt(() => rows().where({ version: 2 }).update({ published_at: new Date(0) }))).to.match(/immutable/);
      expect(await attempt(() => rows().where({ version: 2 }).delete())).to.match(/cannot be deleted/);
      expect(await attempt(() => rows().where({ version: 1 }).update({ parts: JSON.stringify({ text: 'tampered' }) }))).to.match(/versions are immutable/);
      // Archived after publication: frozen too.
      await post(`${path}/versions`, { parts: { text: 'v3 {{ data.issue.key }}' }, publish: true }).expect(201);
      expect(await attempt(() => rows().where({ version: 2 }).update({ status: 'published' }))).to.match(/immutable/);
      const stored = await rows().orderBy('version').select('version', 'status', 'parts');
      expect(stored).to.deep.equal([
        { version: 1, status: 'draft', parts: { text: 'draft {{ data.issue.key }}' } },
        { version: 2, status: 'archived', parts: { text: 'live {{ data.issue.key }}' } },
        { version: 3, status: 'published', parts: { text: 'v3 {{ data.issue.key }}' } },
      ]);
      // ...and still goes with its tenant.
      const doomed = await t.tenant('Doomed');
      await post('/v1/templates/issue.assigned/sms/en/versions', { parts: { text: 'x' }, publish: true }, doomed.apiKey).expect(201);
      await t.db.knex('tenants').where({ id: doomed.tenantId }).delete();
      expect(await t.db.knex('templates').where({ tenant_id: doomed.tenantId })).to.deep.equal([]);
    });

    it('refuses syntax errors with 422, giving the part, line and column, and saves nothing', async () => {
      const res = await post('/v1/templates/payment.requested/email/en/versions', {
        parts: { subject: 'Pay {{ data.invoice.number }}', html: '<p>ok</p>\n<p>{{ data.amount | }}</p>', text: '{% if data.amount %}\nunclosed' },
      }).expect(422);
      expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
      expect(res.body).to.include({ code: 'CLARION_ERR_TEMPLATE_SYNTAX', status: 422, part: 'html', line: 2, column: 21 });
      expect(res.body.detail).to.equal('The template has a syntax error in part "html" at line 2, column 21: expected symbol, got variable-end');
      expect(res.body.errors).to.deep.equal([
        { pointer: '/parts/html', message: 'line 2, column 21: expected symbol, got variable-end', line: 2, column: 21 },
        { pointer: '/parts/text', message: 'line 1, column 1: this {% if %} is never closed with {% endif %}', line: 1, column: 1, name: 'if' },
      ]);
      expect((await get('/v1/templates/payment.requested/email/en/versions').expect(200)).body.items).to.deep.equal([]);
    });

    it('refuses parts a channel does not have, and missing required parts', async () => {
      const res = await post('/v1/templates/payment.requested/sms/en/versions', { parts: { text: '', subject: 'x', html: 3 } }).expect(400);
      expect(res.body.code).to.equal('CLARION_ERR_HTTP_INVALID_REQUEST');
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer).sort()).to.deep.equal(['/parts/html']);
      const parts = await post('/v1/templates/payment.requested/sms/en/versions', { parts: { text: '', subject: 'x' } }).expect(400);
      expect(parts.body.errors).to.deep.equal([
        { pointer: '/parts/subject', message: 'is not a part of sms templates (allowed: text)' },
        { pointer: '/parts/text', message: 'is required' },
      ]);
      const email = await post('/v1/templates/payment.requested/email/en/versions', { parts: { subject: 'x' } }).expect(400);
      expect(email.body.errors).to.deep.equal([{ pointer: '/parts/html', message: 'an email needs an html or a text part' }]);
      await request(t.callback).post('/v1/templates/payment.requested/sms/en/versions').set('authorization', `Bearer ${key}`).set('content-type', 'text/plain').send('text').expect(415);
    });

    it("warns about variables the tenant's contract for the workflow's trigger does not declare", async () => {
      await put('/v1/contracts/com.acme.invoice.sent', { type: 'object', properties: { total: { type: 'number' }, lines: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string' } } } } } }).expect(201);
      await t.db.knex('workflows').insert({
        tenant_id: tenantId,
        key: 'acme.invoice_sent',
        trigger: 'com.acme.invoice.sent',
        definition: JSON.stringify({ trigger: 'com.acme.invoice.sent', channels: ['sms'], recipients: '/data/recipients' }),
      });
      const res = await post('/v1/templates/acme.invoice_sent/sms/en/versions', {
        parts: { text: '{{ data.total }} {{ data.vat }}\n{% for line in data.lines %}{{ line.sku }} {{ line.qty }}{% endfor %} {{ subscriber.nickname }} {{ t("common:nope") }}' },
      }).expect(201);
      expect(res.body.warnings.map((w: { message: string }) => w.message)).to.deep.equal([
        'data.vat is not declared in the contract of com.acme.invoice.sent (version 1)',
        'data.lines[].qty is not declared in the contract of com.acme.invoice.sent (version 1)',
        'subscriber has no field "nickname" (custom fields are under subscriber.data)',
        'The translation "common:nope" is missing in locales/en, locales/fr',
      ]);
      expect(res.body.warnings[1]).to.include({ line: 2, variable: 'data.lines[].qty' });

      const orphan = await post('/v1/templates/nobody.uses.this/sms/en/versions', { parts: { text: '{{ data.x }}' } }).expect(201);
      expect(orphan.body.warnings.map((w: { message: string }) => w.message)).to.deep.equal([
        'There is no workflow nobody.uses.this yet: this template renders once a workflow with that key sends on sms',
        'No contract is registered for the data of nobody.uses.this: variables under data are not checked',
      ]);
    });

    it("keeps each tenant's templates to itself", async () => {
      const other = await t.tenant('Other');
      const path = '/v1/templates/approval.requested/push/en';
      await post(`${path}/versions`, { parts: { title: 'Mine', body: 'mine' }, publish: true }).expect(201);
      expect((await get(path, other.apiKey).expect(200)).body.source).to.equal('bundled');
      expect((await get(`${path}/versions`, other.apiKey).expect(200)).body.items).to.deep.equal([]);
      expect((await get(`${path}/versions/1`, other.apiKey).expect(404)).body.code).to.equal('CLARION_ERR_TEMPLATE_NOT_FOUND');
      const theirs = await t.services.templates.render({ tenantId: other.tenantId, workflowKey: 'approval.requested', channel: 'push', locale: 'en', context: context({}) });
      expect(theirs.source).to.equal('bundled');
    });
  });

  describe('render (for the delivery engine)', () => {
    const render = (channel: 'email' | 'sms' | 'webhook', locale: string | null, tenantDefaultLocale: string | null = null, workflowKey = 'quotation.status_changed') =>
      t.services.templates.render({ tenantId, workflowKey, channel, locale, tenantDefaultLocale, context: context(quotation('approved', 'Q-9'), { locale }) });

    it('chooses the locale: subscriber (with region fallback), then tenant default, then en', async () => {
      const frCa = await render('email', 'fr-CA');
      expect(frCa).to.include({ locale: 'fr', source: 'bundled', version: null });
      expect(frCa.parts.subject).to.equal('Le devis Q-9 est maintenant accepté');
      expect(frCa.parts.html).to.include('<html lang="fr"');
      expect(frCa.parts.text!.replace(/[\u00a0\u202f]/g, ' ')).to.include('Montant : 10,00 €');
      expect((await render('email', 'de-AT', 'fr')).locale).to.equal('fr');
      const en = await render('email', 'de-AT');
      expect(en.locale).to.equal('en');
      expect(en.parts.subject).to.equal('Quotation Q-9 is now approved');
    });

    it("prefers the tenant's template in the chosen locale", async () => {
      await post('/v1/templates/quotation.status_changed/email/fr-CA/versions', { parts: { subject: 'Québec {{ data.quotation.id }}', text: 'Bonjour {{ subscriber.name }}' }, publish: true }).expect(201);
      const quebec = await render('email', 'fr-CA');
      expect(quebec).to.deep.equal({ parts: { subject: 'Québec Q-9', text: 'Bonjour Ada' }, locale: 'fr-CA', source: 'tenant', version: 1 });
      expect((await render('email', 'fr')).source).to.equal('bundled');
    });

    it('throws a ConfigError when the channel has no template at all', async () => {
      for (const [channel, workflow] of [['webhook', 'quotation.status_changed'], ['sms', 'no.such.workflow']] as const) {
        const err = await render(channel, 'en', null, workflow).catch((e: unknown) => e);
        expect(err).to.be.instanceOf(ConfigError);
        expect((err as ConfigError).code).to.equal('CLARION_ERR_TEMPLATE_NOT_FOUND');
        expect((err as ConfigError).message).to.include(`no ${channel} template for workflow ${workflow}`);
      }
    });

    it('throws a PermanentError naming the template, its version and the line when it fails', async () => {
      await post('/v1/templates/issue.resolved/sms/en/versions', { parts: { text: 'Resolved\n{{ data.issue.key | currency("x") }}' }, publish: true }).expect(201);
      const err = await t.services.templates
        .render({ tenantId, workflowKey: 'issue.resolved', channel: 'sms', locale: 'en', context: context({ issue: { key: 'OPS-1' } }) })
        .catch((e: unknown) => e);
      expect(err).to.be.instanceOf(PermanentError);
      expect((err as PermanentError).code).to.equal('CLARION_ERR_TEMPLATE_RENDER_FAILED');
      expect((err as PermanentError).message).to.equal(
        'Template issue.resolved/sms/en (version 1), part "text", line 2, column 21: currency: "OPS-1" is not a number',
      );
      const sandboxed = await t.services.templates
        .render({ tenantId, workflowKey: 'payment.requested', channel: 'sms', locale: 'fr', context: context({}) })
        .then(() => 'bundled rendered');
      expect(sandboxed).to.equal('bundled rendered');
    });
  });

  describe('layouts', () => {
    it('lists the bundled layouts, and lets a tenant replace one for every email, bundled ones included', async () => {
      const list = await get('/v1/templates/layouts').expect(200);
      expect(list.body.items.map((l: { name: string; source: string }) => `${l.name}:${l.source}`)).to.deep.equal(['components:bundled', 'email:bundled', 'text-footer:bundled']);
      expect((await get('/v1/templates/layouts/email').expect(200)).body.content).to.include('{% block html %}');

      const created = await put('/v1/templates/layouts/email', { content: '<main class="acme">{% block html %}{% endblock %}<footer>{{ tenant.name }}</footer></main>' }).expect(201);
      expect(created.headers.location).to.equal('/v1/templates/layouts/email');
      expect(created.body).to.include({ name: 'email', source: 'tenant', overridesBundled: true });
      expect(created.body.warnings).to.deep.equal([]);
      const rendered = await t.services.templates.render({ tenantId, workflowKey: 'payment.requested', channel: 'email', locale: 'en', context: context({ invoice: { number: 'INV-1' }, amount: 5, currency: 'EUR', dueDate: '2026-12-01' }) });
      expect(rendered.parts.html).to.match(/^<main class="acme"><h1/);
      expect(rendered.parts.html).to.include('INV-1');
      expect(rendered.parts.html).to.match(/<footer>Acme<\/footer><\/main>$/);

      const updated = await put('/v1/templates/layouts/email', { content: '<div>{{ data.nope }}{% block body %}{% endblock %}</div>' }).expect(200);
      expect(updated.body.warnings.map((w: { message: string }) => w.message)).to.deep.equal([
        'The layout has no {% block html %}: email templates that extend it put their body in that block',
      ]);
      const syntax = await put('/v1/templates/layouts/email', { content: '<div>\n{% if x %}</div>' }).expect(422);
      expect(syntax.body).to.include({ code: 'CLARION_ERR_TEMPLATE_SYNTAX', line: 2, part: 'content' });
      expect(syntax.body.errors[0].pointer).to.equal('/content');

      await del('/v1/templates/layouts/email').expect(204);
      expect((await del('/v1/templates/layouts/email').expect(404)).body.detail).to.match(/bundled one cannot be deleted/);
      const back = await t.services.templates.render({ tenantId, workflowKey: 'payment.requested', channel: 'email', locale: 'en', context: context({ invoice: { number: 'INV-1' }, amount: 5, currency: 'EUR', dueDate: '2026-12-01' }) });
      expect(back.parts.html).to.match(/^<!DOCTYPE html>/);
    });

    it('validates layout names and bodies', async () => {
      expect((await put('/v1/templates/layouts/Bad.Name', { content: 'x' }).expect(400)).body.errors[0].pointer).to.equal('/path/name');
      expect((await put('/v1/templates/layouts/brand', { content: '', extra: 1 }).expect(400)).body.errors.map((e: { pointer: string }) => e.pointer)).to.deep.equal(['/content', '/extra']);
      const errorsOf = async (body: unknown) => (await put('/v1/templates/layouts/brand', body).expect(400)).body.errors;
      expect(await errorsOf({ content: ' \n\t ' })).to.deep.equal([{ pointer: '/content', message: 'must be a non-empty string (nunjucks source)' }]);
      expect(await errorsOf({})).to.deep.equal([{ pointer: '/content', message: 'must be a non-empty string (nunjucks source)' }]);
      expect(await errorsOf({ content: 42 })).to.deep.equal([{ pointer: '/content', message: 'must be a non-empty string (nunjucks source)' }]);
      expect(await errorsOf(['x'])).to.deep.equal([{ pointer: '', message: 'must be an object {"content": "<nunjucks source>"}' }]);
      expect(await errorsOf({ content: 'x'.repeat(256 * 1024 + 1), extra: 1 })).to.deep.equal([
        { pointer: '/content', message: `must be at most ${256 * 1024} characters` },
        { pointer: '/extra', message: 'is not allowed' },
      ]);
      expect((await get('/v1/templates/layouts/brand').expect(404)).body.code).to.equal('CLARION_ERR_TEMPLATE_NOT_FOUND');
      expect((await get('/v1/templates/layouts/nope').expect(404)).body.code).to.equal('CLARION_ERR_TEMPLATE_NOT_FOUND');
    });
  });

  describe('POST /v1/templates/preview', () => {
    const SAMPLE_TOKENS: Record<string, string> = {
      'quotation.status_changed': 'Q-2026-0042',
      'approval.requested': 'Purchase of 12 laptops',
      'payment.requested': 'INV-2026-0311',
      'issue.assigned': 'OPS-412',
      'issue.resolved': 'OPS-412',
      'issue.comment_added': 'OPS-412',
      'security.suspicious_login': 'Lyon',
      'incident.escalated': 'Checkout API returns 502 errors',
      'digest.daily': '3',
      'webhook.endpoint_disabled': 'hooks.example.com',
    };

    it('renders every bundled template in en and fr with its sample data', async () => {
      const other = await t.tenant('Fresh');
      const list = await get('/v1/templates', other.apiKey).expect(200);
      const combos = list.body.items.map((i: { workflow: string; channel: string }) => `${i.workflow}|${i.channel}`);
      let rendered = 0;
      for (const combo of new Set<string>(combos)) {
        const [workflow, channel] = combo.split('|');
        for (const locale of ['en', 'fr']) {
          const res = await post('/v1/templates/preview', { workflow, channel, locale }, other.apiKey);
          expect(res.status, `${combo} ${locale}: ${JSON.stringify(res.body)}`).to.equal(200);
          expect(res.body).to.include({ workflow, channel, locale, source: 'bundled', version: null });
          const all = JSON.stringify(res.body.parts);
          expect(all, `${combo} ${locale}`).to.include(SAMPLE_TOKENS[workflow]);
          expect(res.body.warnings.filter((w: { part?: string }) => w.part !== 'text' || channel !== 'sms'), `${combo} ${locale}`).to.deep.equal([]);
          rendered++;
        }
      }
      expect(rendered).to.be.at.least(9 * 4 * 2);
    });

    it('renders inline parts for a live editor, with warnings, SMS encoding and segments', async () => {
      const gsm = await post('/v1/templates/preview', { workflow: 'payment.requested', channel: 'sms', locale: 'en', template: { text: `${'a'.repeat(150)} {{ data.invoice.number }} {{ data.nope }}` } }).expect(200);
      expect(gsm.body).to.include({ source: 'inline', version: null, locale: 'en' });
      expect(gsm.body.parts.text).to.equal(`${'a'.repeat(150)} INV-2026-0311`);
      expect(gsm.body.sms).to.deep.equal({ encoding: 'GSM-7', segments: 2, units: 164, characters: 164, perSegment: 153 });
      expect(gsm.body.warnings).to.deep.equal([{ part: 'text', line: 1, column: 181, variable: 'data.nope', message: 'data.nope is not declared in templates/payment.requested/schema.json' }]);

      const ucs = await post('/v1/templates/preview', { workflow: 'payment.requested', channel: 'sms', locale: 'fr', template: { text: 'Reçu {{ data.invoice.number }}' } }).expect(200);
      expect(ucs.body.sms).to.include({ encoding: 'UCS-2', segments: 1, units: 18 });
      expect(ucs.body.warnings[0].message).to.match(/outside the GSM-7 alphabet \(ç\), so it is sent as UCS-2: 70 characters per segment, 1 segment/);
    });

    it('reports push payload sizes against each platform', async () => {
      const res = await post('/v1/templates/preview', { workflow: 'approval.requested', channel: 'push', locale: 'en' }).expect(200);
      expect(res.body.push.fits).to.equal(true);
      expect(res.body.push.payloads.map((p: { platform: string }) => p.platform)).to.deep.equal(['fcm', 'apns', 'webpush']);
      const big = await post('/v1/templates/preview', { workflow: 'approval.requested', channel: 'push', template: { title: '{{ data.request.title }}', body: '{% for i in range(300) %}{{ data.request.title }}{% endfor %}' } }).expect(200);
      expect(big.body.push.fits).to.equal(false);
      expect(big.body.warnings.map((w: { message: string }) => w.message)).to.include.members([
        `The fcm payload is ${big.body.push.payloads[0].bytes} bytes, over its limit of 4000: the provider will refuse it`,
        `The body has 6600 characters; lock screens cut bodies after about 240`,
      ]);
    });

    it('renders against a stored event', async () => {
      const ingest = await request(t.callback)
        .post('/v1/events')
        .set('authorization', `Bearer ${key}`)
        .set('content-type', 'application/cloudevents+json')
        .send(JSON.stringify({ specversion: '1.0', id: 'q-77', source: '/quotes', type: 'quotation.status_changed', data: quotation('rejected', 'Q-EVENT-77') }))
        .expect(202);
      const res = await post('/v1/templates/preview', { workflow: 'quotation.status_changed', channel: 'sms', locale: 'en', eventId: ingest.body.accepted[0].eventId }).expect(200);
      expect(res.body.parts.text).to.equal('Acme Corp: Quotation Q-EVENT-77 (Fit-out) is now rejected.');
      const byCloudEventId = await post('/v1/templates/preview', { workflow: 'quotation.status_changed', channel: 'sms', eventId: 'q-77' }).expect(200);
      expect(byCloudEventId.body.parts.text).to.include('Q-EVENT-77');
      expect((await post('/v1/templates/preview', { workflow: 'quotation.status_changed', channel: 'sms', eventId: 'nope' }).expect(404)).body.code).to.equal('CLARION_ERR_EVENT_NOT_FOUND');
    });

    it('previews a tenant workflow with its latest event as sample data, or says there is none', async () => {
      const tenant = await t.tenant('Sampler', { acceptUnvalidatedTypes: true });
      const snoop = await t.tenant('Snoop', { acceptUnvalidatedTypes: true });
      const postEvent = (apiKey: string, id: string, orderId: string) =>
        request(t.callback).post('/v1/events').set('authorization', `Bearer ${apiKey}`).set('content-type', 'application/cloudevents+json')
          .send(JSON.stringify({ specversion: '1.0', id, source: '/shop', type: 'com.acme.order.shipped', data: { orderId, recipients: [] } }))
          .expect(202);
      await request(t.callback).put('/v1/workflows/order.shipped').set('authorization', `Bearer ${tenant.apiKey}`)
        .send({ trigger: 'com.acme.order.shipped', recipients: '/data/recipients', channels: ['sms'], templates: { sms: { text: 'Order {{ data.orderId }} shipped' } } })
        .expect(201);
      const preview = (body: Record<string, unknown>) => post('/v1/templates/preview', { workflow: 'order.shipped', channel: 'sms', locale: 'en', ...body }, tenant.apiKey).expect(200);

      // Another tenant's event of the same type is never this tenant's sample.
      await postEvent(snoop.apiKey, 'theirs-1', 'THEIRS');
      const empty = await preview({});
      expect(empty.body.parts.text).to.equal('Order  shipped');
      expect(empty.body.warnings[0].message).to.equal('No sample data: the variables under data render empty. Give sample data, or post a com.acme.order.shipped event and preview again');

      await postEvent(tenant.apiKey, 'o-1', 'A-1');
      const latest = await preview({});
      expect(latest.body.parts.text).to.equal('Order A-1 shipped');
      expect(latest.body.warnings[0].message).to.match(/^Sample data from the latest com\.acme\.order\.shipped event \(o-1\)/);

      const given = await preview({ data: { orderId: 'MINE' } });
      expect(given.body.parts.text).to.equal('Order MINE shipped');
      expect(given.body.warnings.map((w: { message: string }) => w.message)).to.deep.equal(['No contract is registered for the data of order.shipped: variables under data are not checked']);
    });

    it('previews a stored draft version', async () => {
      await post('/v1/templates/digest.daily/sms/en/versions', { parts: { text: 'Draft digest for {{ data.date | date("long") }}' } }).expect(201);
      const res = await post('/v1/templates/preview', { workflow: 'digest.daily', channel: 'sms', locale: 'en', version: 1 }).expect(200);
      expect(res.body).to.include({ source: 'tenant', version: 1 });
      expect(res.body.parts.text).to.equal('Draft digest for November 21, 2026');
      expect((await post('/v1/templates/preview', { workflow: 'digest.daily', channel: 'sms', locale: 'en', version: 9 }).expect(404)).body.code).to.equal('CLARION_ERR_TEMPLATE_NOT_FOUND');
    });

    it('answers 422 with the line for syntax and render errors, and for sandbox escapes', async () => {
      const syntax = await post('/v1/templates/preview', { workflow: 'issue.assigned', channel: 'email', template: { subject: 'ok', html: '<p>\n{{ data.issue.key ) }}</p>' } }).expect(422);
      expect(syntax.body).to.include({ code: 'CLARION_ERR_TEMPLATE_SYNTAX', part: 'html', line: 2 });
      expect(syntax.body.errors[0].pointer).to.equal('/template/html');

      const failed = await post('/v1/templates/preview', { workflow: 'issue.assigned', channel: 'email', template: { subject: 'ok', html: '<p>\n\n{{ data.issue.key | date }}</p>' } }).expect(422);
      expect(failed.body).to.include({ code: 'CLARION_ERR_TEMPLATE_RENDER_FAILED', part: 'html', line: 3, column: 21, kind: 'render' });
      expect(failed.body.detail).to.match(/^Template inline template, part "html", line 3, column 21: date: "OPS-412" is not a date/);

      const escape = await post('/v1/templates/preview', { workflow: 'issue.assigned', channel: 'sms', template: { text: '{{ range.constructor("return process")() }}' } }).expect(422);
      expect(escape.body).to.include({ code: 'CLARION_ERR_TEMPLATE_RENDER_FAILED', kind: 'sandbox', line: 1 });
      expect(JSON.stringify(escape.body)).to.not.include('[object process]');
    });

    it('validates the request', async () => {
      const res = await post('/v1/templates/preview', { workflow: 'issue.assigned', channel: 'sms', data: {}, eventId: 'x', template: { text: 'x', nope: 'y' }, version: 1, locale: '??' }).expect(400);
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).to.deep.equal(['/eventId', '/version', '/locale', '/template/nope']);
      expect((await post('/v1/templates/preview', { channel: 'fax' }).expect(400)).body.code).to.equal('CLARION_ERR_HTTP_INVALID_REQUEST');
      expect((await post('/v1/templates/preview', { workflow: 'custom.one', channel: 'sms' }).expect(404)).body.code).to.equal('CLARION_ERR_TEMPLATE_NOT_FOUND');
    });
  });
});

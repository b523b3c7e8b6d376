import { expect } from 'chai';
import { PermanentError } from '@clarion/adapter-kit';
import request from 'supertest';
import { testApp, type TestApp } from '../support/clarion.ts';

/**
 * What an author sees when a template is broken, over HTTP: every syntax error with its line and
 * column, unknown filters, tests and tags refused at save (not at the first delivery), and
 * nothing of a refused template stored.
 */
describe('template errors over HTTP', function () {
  this.timeout(30_000);
  let t: TestApp;
  let key: string;
  let tenantId: string;

  before(async () => {
    t = await testApp();
    ({ apiKey: key, tenantId } = await t.tenant('Acme'));
  });
  after(async () => {
    await t.services.templates.close();
    await t.close();
  });

  const post = (path: string, body: unknown) => request(t.callback).post(path).set('authorization', `Bearer ${key}`).send(body as object);
  const put = (path: string, body: unknown) => request(t.callback).put(path).set('authorization', `Bearer ${key}`).send(body as object);
  const save = (text: string) => post('/v1/templates/issue.assigned/sms/en/versions', { parts: { text }, publish: true });

  const cases: Array<[string, string, number, number, string]> = [
    ['unclosed variable', 'Issue {{ data.issue.key ', 1, 7, 'this {{ is never closed with }}'],
    ['unclosed tag', 'Issue\n{% if data.issue.key ', 2, 1, 'this {% if tag is never closed with %}'],
    ['unclosed block', 'Issue\n\n  {% if data.issue.key %}assigned', 3, 3, 'this {% if %} is never closed with {% endif %}'],
    ['unknown block end', 'Issue {{ data.issue.key }}\n{% endfor %}', 2, 4, '{% endfor %} closes nothing: there is no open {% for %}'],
    ['bad expression', 'Issue {{ data.issue.key + }}', 1, 27, 'unexpected token: }}'],
  ];
  for (const [kind, text, line, column, message] of cases) {
    it(`refuses a ${kind} with its line and column (${line}:${column})`, async () => {
      const res = await save(text).expect(422);
      expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
      expect(res.body).to.include({ code: 'CLARION_ERR_TEMPLATE_SYNTAX', part: 'text', line, column });
      expect(res.body.detail).to.equal(`The template has a syntax error in part "text" at line ${line}, column ${column}: ${message}`);
      expect(res.body.errors).to.have.length(1);
      expect(res.body.errors[0]).to.include({ pointer: '/parts/text', line, column, message: `line ${line}, column ${column}: ${message}` });
    });
  }

  it('refuses an unknown filter at save, naming it, with its position and the known filters', async () => {
    const res = await save('Issue {{ data.issue.key }}\nby {{ data.assignedBy.name | shout }}').expect(422);
    expect(res.body).to.include({ code: 'CLARION_ERR_TEMPLATE_SYNTAX', part: 'text', line: 2, column: 30, name: 'shout' });
    expect(res.body.errors[0]).to.include({ pointer: '/parts/text', name: 'shout', line: 2, column: 30 });
    expect(res.body.errors[0].message).to.match(/^line 2, column 30: unknown filter "shout" \(the filters are abs, .*currency, .*upper/);
  });

  it('refuses an unknown tag and an unknown test at save', async () => {
    const tag = await save('Issue\n{% nosuchtag %}').expect(422);
    expect(tag.body).to.include({ line: 2, column: 4, name: 'nosuchtag' });
    expect(tag.body.detail).to.match(/unknown tag \{% nosuchtag %\} \(the tags are if, elif, else, for, set/);
    const test = await save('{% if data.issue.key is shouting %}!{% endif %}').expect(422);
    expect(test.body).to.include({ line: 1, column: 25, name: 'shouting' });
  });

  it('reports every broken part, and stores nothing', async () => {
    const res = await post('/v1/templates/issue.assigned/email/en/versions', {
      parts: { subject: 'Issue {{ data.issue.key | nope }}', html: '<p>\n{{ data.issue.title </p>', text: 'fine {{ data.issue.key }}' },
    }).expect(422);
    expect(res.body.errors.map((e: { pointer: string; line: number; column: number }) => [e.pointer, e.line, e.column])).to.deep.equal([
      ['/parts/subject', 1, 27],
      ['/parts/html', 2, 1],
    ]);
    const stored = await t.db.knex('templates').where({ tenant_id: tenantId });
    expect(stored).to.deep.equal([]);
  });

  it('checks inline templates of a workflow, layouts and previews the same way', async () => {
    const workflow = await put('/v1/workflows/order.shipped', {
      trigger: 'com.acme.order.shipped', channels: ['sms'], templates: { sms: { text: 'Order {{ data.orderId | upcase }}' } },
    }).expect(422);
    expect(workflow.body).to.include({ code: 'CLARION_ERR_TEMPLATE_SYNTAX', line: 1, column: 25, name: 'upcase' });
    expect(workflow.body.errors[0].pointer).to.equal('/templates/sms/text');
    await request(t.callback).get('/v1/workflows/order.shipped').set('authorization', `Bearer ${key}`).expect(404);

    const layout = await put('/v1/templates/layouts/plain', { content: '<div>\n{% block html %}{% endblock %}\n{{ tenant.name | nosuch }}</div>' }).expect(422);
    expect(layout.body).to.include({ code: 'CLARION_ERR_TEMPLATE_SYNTAX', part: 'content', line: 3, column: 18, name: 'nosuch' });
    expect(layout.body.errors[0].pointer).to.equal('/content');

    const preview = await post('/v1/templates/preview', { workflow: 'issue.assigned', channel: 'sms', template: { text: 'x\n{{ data.issue.key' } }).expect(422);
    expect(preview.body).to.include({ code: 'CLARION_ERR_TEMPLATE_SYNTAX', line: 2, column: 1 });
    expect(preview.body.errors[0].pointer).to.equal('/template/text');
  });

  it('still names the line when a version stored before these checks fails to compile at delivery', async () => {
    // Written directly: the API no longer accepts it.
    await t.db.knex('templates').insert({
      tenant_id: tenantId, workflow_key: 'issue.resolved', channel: 'sms', locale: 'en', version: 1, parts: JSON.stringify({ text: 'Resolved\n{{ data.issue.key ' }),
      status: 'published', published_at: new Date(), created_at: new Date(), created_by: 'test',
    });
    const err = await t.services.templates
      .render({ tenantId, workflowKey: 'issue.resolved', channel: 'sms', locale: 'en', context: { data: { issue: { key: 'OPS-1' } }, subscriber: {}, tenant: { name: 'Acme' }, notification: {}, event: {} } })
      .catch((e: unknown) => e);
    expect(err).to.be.instanceOf(PermanentError);
    expect((err as PermanentError).message).to.equal('Template issue.resolved/sms/en (version 1), part "text", line 2, column 1: this {{ is never closed with }}');
  });
});

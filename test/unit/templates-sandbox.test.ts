import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { Channel, RenderedContent } from '@clarion/adapter-kit';
import { createLogger } from '../../core/log.ts';
import { LOCALES_DIR } from '../../core/templates/i18n.ts';
import { RenderPool, TemplateRenderError } from '../../core/templates/pool.ts';
import type { RenderJob } from '../../core/templates/types.ts';

/**
 * The render sandbox, driven through the real render processes. Every escape payload must
 * fail: if a guard were removed, these renders would succeed (printing the process object, a
 * file, an environment variable) and the tests would fail.
 */

const LAYOUTS_DIR = fileURLToPath(new URL('../../templates/_layouts/', import.meta.url));

describe('template sandbox and rendering (render processes)', function () {
  this.timeout(20_000);
  let pool: RenderPool;

  before(() => {
    pool = new RenderPool({ localesDir: LOCALES_DIR, layoutsDir: LAYOUTS_DIR, log: createLogger('silent'), size: 2, timeLimitMs: 1000 });
  });
  after(() => pool.close());

  function job(parts: Record<string, string>, overrides: Partial<RenderJob> = {}): RenderJob {
    return {
      name: 'test template',
      channel: 'sms',
      parts: Object.fromEntries(Object.entries(parts).map(([name, source]) => [name, { source, line: 1, column: 1, prefix: 0 }])),
      layouts: {},
      context: {
        event: { id: 'evt-1', type: 'test.event' },
        data: { name: 'Ada', amount: 12500.5, markup: '<b>bold</b> & "quoted"', at: '2026-11-21T09:30:00Z', day: '2026-12-01', list: ['a', 'b'] },
        subscriber: { id: 'u-1', name: 'Ada Lovelace', locale: 'en', timezone: 'Europe/Paris', data: {} },
        tenant: { name: 'Acme', brand: {} },
        notification: { id: 'n-1', priority: 'normal', unsubscribeUrl: 'https://acme.test/unsubscribe' },
      },
      locale: 'en',
      formatLocale: 'en',
      timeZone: 'Europe/Paris',
      now: '2026-11-21T10:00:00Z',
      maxOutputChars: 100_000,
      ...overrides,
    };
  }
  const render = (parts: Record<string, string>, overrides: Partial<RenderJob> = {}): Promise<RenderedContent> => pool.render(job(parts, overrides));
  const text = async (source: string, overrides: Partial<RenderJob> = {}) => (await render({ text: source }, overrides)).text ?? '';
  async function failure(promise: Promise<unknown>): Promise<TemplateRenderError> {
    const outcome = await promise.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    if ('value' in outcome) throw new Error(`expected the render to fail, it rendered ${JSON.stringify(outcome.value)}`);
    expect(outcome.error).to.be.instanceOf(TemplateRenderError);
    return outcome.error as TemplateRenderError;
  }

  it('renders data, translations and globals', async () => {
    expect(await text('Hello {{ data.name }}, {{ t("common:greeting", { name: subscriber.name }) }} {% set j = joiner(",") %}{% for i in range(3) %}{{ j() }}{{ i }}{% endfor %}')).to.equal(
      'Hello Ada, Hello Ada Lovelace, 0,1,2',
    );
    expect(await text('{% set c = cycler("odd", "even") %}{{ c.next() }} {{ c.next() }} {{ data.list.length }} {{ data.name.toUpperCase() }} {{ data.list.join("+") }}')).to.equal('odd even 2 ADA a+b');
  });

  describe('known escape payloads fail safely', () => {
    const payloads = [
      '{{ range.constructor("return process")() }}',
      '{{ range.constructor("return process.pid")() }}',
      '{{ range.constructor("return global.process.mainModule.require(\'fs\').readFileSync(\'/etc/passwd\', \'utf8\')")() }}',
      '{{ cycler.constructor("return process")() }}',
      '{{ cycler("a", "b").next.constructor("return process")() }}',
      '{{ cycler("a").reset.constructor("return process")() }}',
      '{{ joiner.constructor("return process")() }}',
      '{{ joiner()["constructor"]("return process")() }}',
      '{{ range["constructor"]("return process")() }}',
      '{{ range["const" + "ructor"]("return process")() }}',
      '{% set c = "constructor" %}{{ range[c][c]("return process")() }}',
      '{{ range["CONSTRUCTOR" | lower]("return process")() }}',
      '{{ range["rotcurtsnoc" | reverse]("return process")() }}',
      '{% macro key() %}constructor{% endmacro %}{{ range[key()]("return process")() }}',
      '{{ range[["constructor"]]("return process")() }}',
      '{{ "".constructor.constructor("return process")() }}',
      '{{ "x"["constructor"]["constructor"]("return process")() }}',
      '{{ [].constructor.constructor("return process")() }}',
      '{{ {}.constructor.constructor("return process")() }}',
      '{{ (1).constructor.constructor("return process")() }}',
      '{{ data.constructor.constructor("return process")() }}',
      '{{ data.__proto__.constructor.constructor("return process")() }}',
      '{{ data["__proto__"]["constructor"]["constructor"]("return process")() }}',
      '{{ data.list.constructor.constructor("return process")() }}',
      '{{ data.name.constructor.constructor("return process")() }}',
      '{{ t.constructor("return process")() }}',
      '{{ range.call.constructor("return process")() }}',
      '{{ range.apply(null, []) }}',
      '{{ range.bind }}',
      '{{ constructor.constructor("return process")() }}',
      '{{ __proto__ }}',
      '{{ hasOwnProperty("x") }}',
      '{{ valueOf() }}',
      '{{ process.pid }}',
      '{{ process.env }}',
      '{{ require("fs") }}',
      '{{ global.process }}',
      '{{ globalThis.process }}',
      '{{ Function("return process")() }}',
      '{{ eval("process") }}',
      '{% for i in [1] %}{{ loop.constructor.constructor("return process")() }}{% endfor %}',
      '{% macro m() %}{% endmacro %}{{ m.constructor("return process")() }}',
      '{{ ([range] | first).constructor("return process")() }}',
      '{{ (data.list | list).constructor.constructor("return process")() }}',
      '{{ ("a" | safe).constructor.constructor("return process")() }}',
      '{{ (data | dictsort | first).constructor.constructor("return process")() }}',
      '{{ data.name | __defineGetter__("x", range) }}',
      '{{ data.name | constructor }}',
      '{{ data.name is constructor }}',
    ];
    for (const payload of payloads) {
      it(payload, async () => {
        const err = await failure(render({ text: payload }));
        expect(err.info.kind, err.message).to.be.oneOf(['sandbox', 'render']);
        expect(err.message).to.not.match(/\[object process\]|root:|\/bin\//);
      });
    }

    it('guards JSON and HTML parts the same way', async () => {
      const json = await failure(render({ body: `{"x": "{{ range.constructor('return process')() }}"}` }, { channel: 'webhook' }));
      expect(json.info.kind).to.equal('sandbox');
      const html = await failure(render({ subject: 'x', html: '<p>{{ cycler.constructor("return process")() }}</p>' }, { channel: 'email' }));
      expect(html.info).to.include({ kind: 'sandbox', part: 'html' });
    });

    it('names the refused member and where it was read', async () => {
      const err = await failure(render({ text: 'first line\n  {{ range.constructor("return process")() }}' }));
      expect(err.info).to.include({ kind: 'sandbox', part: 'text', line: 2, column: 11 });
      expect(err.message).to.equal('"constructor" cannot be read in templates');
    });

    it('loads no file: only layouts can be extended, included or imported', async () => {
      for (const payload of [
        '{% include "/etc/passwd" %}',
        '{% include "../../package.json" %}',
        '{% include "templates/_layouts/email.njk" %}',
        '{% extends "/etc/hostname" %}',
        '{% import "../../../core/config.ts" as config %}',
        '{% from "_layouts/../../package.json" import x %}',
        '{% include data.name %}',
      ]) {
        const err = await failure(render({ text: payload }));
        expect(err.message, payload).to.match(/template not found/);
      }
    });
  });

  describe('limits', () => {
    it('stops an endless loop at the render time limit, and the pool keeps working', async () => {
      const err = await failure(
        render({ text: '{% for a in range(10000) %}{% for b in range(10000) %}{% for c in range(10000) %}{% endfor %}{% endfor %}{% endfor %}' }),
      );
      expect(err.info).to.include({ kind: 'limit' });
      expect(err.message).to.equal('exceeded the render time limit of 1000 ms');
      expect(await text('still {{ data.name }}')).to.equal('still Ada');
    });

    it('stops a catastrophic regular expression at the time limit', async () => {
      const err = await failure(render({ text: '{{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!" | replace(r/^(a+)+$/, "") }}' }));
      expect(err.message).to.equal('exceeded the render time limit of 1000 ms');
    });

    it('kills a render that exhausts its memory, without harm to this process, and the pool keeps working', async () => {
      // A pool of its own with a generous time limit: on a busy machine, filling 128 MiB can take
      // longer than the shared pool's second, and the test is about the memory limit.
      const roomy = new RenderPool({ localesDir: LOCALES_DIR, layoutsDir: LAYOUTS_DIR, log: createLogger('silent'), size: 1, timeLimitMs: 15_000 });
      try {
        const err = await failure(roomy.render(job({ text: '{% set a = range(100) %}{% for i in range(40) %}{% set a = a.concat(a) %}{% endfor %}{{ a | length }}' })));
        expect(err.info).to.include({ kind: 'limit' });
        expect(err.message).to.equal('exceeded the render memory limit of 128 MiB');
        expect((await roomy.render(job({ text: 'alive {{ data.name }}' }))).text).to.equal('alive Ada');
      } finally {
        await roomy.close();
      }
    });

    it('stops layouts that include each other without end', async () => {
      // A pool of its own with a generous time limit: on a busy machine, recursing until the stack
      // overflows can take longer than the shared pool's second, and the test is about the recursion.
      const roomy = new RenderPool({ localesDir: LOCALES_DIR, layoutsDir: LAYOUTS_DIR, log: createLogger('silent'), size: 1, timeLimitMs: 15_000 });
      try {
        const err = await failure(roomy.render(job({ text: '{% include "_layouts/a.njk" %}' }, { layouts: { a: '{% include "_layouts/b.njk" %}', b: '{% include "_layouts/a.njk" %}' } })));
        expect(err.message).to.equal('the templates include, import or extend each other without end (maximum call stack size exceeded)');
      } finally {
        await roomy.close();
      }
    });

    it('refuses a huge range() before allocating it', async () => {
      const err = await failure(render({ text: 'x\n{% for i in range(0, 1000000000) %}{{ i }}{% endfor %}' }));
      expect(err.info).to.include({ kind: 'limit', line: 2 });
      expect(err.message).to.equal('range() is limited to 10000 items (asked for 1000000000)');
      // nunjucks has no exponent literals: `1e9` is an undefined name, so this loop is empty.
      expect(await text('[{% for i in range(0, 1e9) %}{{ i }}{% endfor %}]')).to.equal('[]');
    });

    it('stops output beyond the size limit, from values or from template text', async () => {
      const values = await failure(render({ text: '{% for i in range(1000) %}{{ "0123456789" }}{% endfor %}' }, { maxOutputChars: 1000 }));
      expect(values.message).to.equal('exceeded the output size limit');
      const literal = await failure(render({ text: '{% for i in range(1000) %}0123456789{% endfor %}' }, { maxOutputChars: 1000 }));
      expect(literal.message).to.equal('exceeded the output size limit of 1000 characters');
    });
  });

  describe('errors', () => {
    it('gives the line and column of a runtime error', async () => {
      const err = await failure(render({ text: 'line one\nline two\n   {{ data.name.nope() }}' }));
      expect(err.info).to.include({ part: 'text', line: 3, column: 21, kind: 'render' });
      expect(err.message).to.match(/Unable to call `data\["name"\]\["nope"\]`/);
    });

    it('gives the line of a filter error', async () => {
      const err = await failure(render({ text: 'ok\n{{ data.name | date }}' }));
      expect(err.info).to.include({ line: 2 });
      expect(err.message).to.equal('date: "Ada" is not a date (expected an ISO 8601 date or date-time, or milliseconds since 1970)');
    });

    it('names the layout an error happened in', async () => {
      const err = await failure(
        render(
          { subject: 'Hi', html: '{% extends "_layouts/broken.njk" %}{% block html %}body{% endblock %}' },
          { channel: 'email', layouts: { broken: '<html>\n<p>{{ data.name | currency("nope") }}</p>{% block html %}{% endblock %}</html>' } },
        ),
      );
      expect(err.info).to.include({ part: 'html', template: '_layouts/broken.njk', line: 2 });
    });

    it('maps positions of parts taken from a file back to the file', async () => {
      const err = await pool.render({ ...job({}), parts: { text: { source: 'a\n{{ data.name.x() }}', line: 10, column: 17, prefix: 0 } } }).catch((e: TemplateRenderError) => e);
      expect((err as TemplateRenderError).info).to.include({ line: 11, column: 15 });
    });

    it('refuses JSON parts that do not render JSON, and URL parts that are not URLs', async () => {
      const json = await failure(render({ body: '{"name": {{ data.name }}}' }, { channel: 'webhook' }));
      expect(json.info).to.include({ kind: 'output', part: 'body' });
      expect(json.message).to.match(/did not render valid JSON/);
      const url = await failure(render({ body: 'x', url: 'javascript:alert(1)' }, { channel: 'push' }));
      expect(url.info).to.include({ kind: 'output', part: 'url' });
      const actions = await failure(render({ body: 'x', actions: '[{"url": "https://x.test"}]' }, { channel: 'in_app' }));
      expect(actions.message).to.equal('item 0 needs a "label" string');
    });
  });

  describe('escaping per part', () => {
    it('escapes HTML parts and leaves text parts alone', async () => {
      const content = await render({ subject: '{{ data.markup }}', html: '<p>{{ data.markup }}</p>{{ "<i>ok</i>" | safe }}', text: '{{ data.markup }}' }, { channel: 'email' });
      expect(content.html).to.equal('<p>&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;</p><i>ok</i>');
      expect(content.subject).to.equal('<b>bold</b> & "quoted"');
      expect(content.text).to.equal('<b>bold</b> & "quoted"');
    });

    it('escapes translation output once in HTML', async () => {
      const content = await render({ subject: 'x', html: '{{ t("common:greeting", { name: data.markup }) }}' }, { channel: 'email' });
      expect(content.html).to.equal('Hello &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;,');
    });

    it('escapes values inside JSON strings, and prints any value with | json', async () => {
      const content = await render({ body: '{"text": "{{ data.markup }}", "amount": {{ data.amount | json }}, "list": {{ data.list | json }}}' }, { channel: 'webhook' });
      expect(content.json).to.deep.equal({ text: '<b>bold</b> & "quoted"', amount: 12500.5, list: ['a', 'b'] });
    });

    it('escapes chat text for Slack mrkdwn, so data cannot mention @channel', async () => {
      const content = await render({ text: '*{{ data.name }}* says {{ data.mention }}' }, { channel: 'chat', context: { ...job({}).context, data: { name: 'Ada', mention: '<!channel> & co' } } });
      expect(content.text).to.equal('*Ada* says &lt;!channel&gt; &amp; co');
    });

    it('turns push data and in-app parts into the adapter kit shapes', async () => {
      const push = await render({ title: '  Line\n one ', body: 'Body', url: 'https://x.test/a', data: '{"n": 1, "s": "x", "o": {"a": 1}, "z": null}' }, { channel: 'push' });
      expect(push).to.deep.equal({ title: 'Line one', body: 'Body', url: 'https://x.test/a', data: { n: '1', s: 'x', o: '{"a":1}' } });
      const inApp = await render({ body: 'B', actions: '[{"label": "Open", "url": "/inbox/1"}, {"label": "Ack", "action": "ack"}]' }, { channel: 'in_app' });
      expect(inApp.actions).to.deep.equal([{ label: 'Open', url: '/inbox/1' }, { label: 'Ack', action: 'ack' }]);
    });

    it('derives the plain-text email from the HTML when there is no text part', async () => {
      const content = await render(
        { subject: 'Hi', preheader: 'Preview line', html: '{% extends "_layouts/email.njk" %}{% block html %}<h1>Welcome</h1><p>Go <a href="https://x.test/go">there</a></p>{% endblock %}' },
        { channel: 'email' },
      );
      expect(content.html).to.include('<title>Hi</title>');
      expect(content.html).to.include('Preview line');
      expect(content.text).to.include('WELCOME');
      expect(content.text).to.include('Go there [https://x.test/go]');
      expect(content.text).to.include('Unsubscribe from these emails [https://acme.test/unsubscribe]');
      expect(content.text).to.not.include('Preview line');
    });

    it('lets a tenant layout replace the bundled one', async () => {
      const content = await render(
        { subject: 'S', html: '{% extends "_layouts/email.njk" %}{% block html %}body{% endblock %}' },
        { channel: 'email', layouts: { email: '<main data-brand="{{ tenant.name }}">{% block html %}{% endblock %}</main>' } },
      );
      expect(content.html).to.equal('<main data-brand="Acme">body</main>');
    });
  });

  describe('i18n and Intl filters', () => {
    it('formats dates in the subscriber zone and locale, never shifting calendar dates', async () => {
      expect(await text('{{ data.at | datetime("long") }}')).to.equal('November 21, 2026 at 10:30 AM GMT+1');
      expect(await text('{{ data.at | datetime("long") }}', { locale: 'fr', formatLocale: 'fr-CA', timeZone: 'America/Montreal' })).to.equal('21 novembre 2026 à 04 h 30 HNE');
      expect(await text('{{ data.at | date }}|{{ data.at | time }}|{{ data.at | date("short") }}', { formatLocale: 'en-GB', timeZone: 'Asia/Tokyo' })).to.equal('21 Nov 2026|18:30|21/11/2026');
      expect(await text('{{ data.day | date("long") }}', { timeZone: 'Pacific/Honolulu' })).to.equal('December 1, 2026');
      expect(await text('{{ data.at | date(weekday="long") }}')).to.equal('Saturday');
      expect(await text('{{ data.at | relative }}')).to.equal('30 minutes ago');
      expect(await text('{{ data.at | relative }}', { formatLocale: 'fr', now: '2026-11-20T09:30:00Z' })).to.equal('demain');
    });

    it('formats numbers, currency and percentages in the locale', async () => {
      const norm = (s: string) => s.replace(/\s/g, ' ');
      expect(await text('{{ data.amount | number }}|{{ data.amount | currency("EUR") }}|{{ 0.256 | percent }}')).to.equal('12,500.5|€12,500.50|26%');
      expect(norm(await text('{{ data.amount | number(2) }}|{{ data.amount | currency("eur") }}|{{ 0.256 | percent(1) }}', { formatLocale: 'fr' }))).to.equal('12 500,50|12 500,50 €|25,6 %');
      expect(await text('{{ data.amount | currency("USD") }}', { formatLocale: 'en-CA' })).to.equal('US$12,500.50');
      expect((await failure(render({ text: '{{ data.amount | currency("euro") }}' }))).message).to.match(/not an ISO 4217 currency code/);
    });

    it('translates with plurals and region fallback', async () => {
      const count = '{{ t("digest:daily.count", { count: 0 }) }}/{{ t("digest:daily.count", { count: 1 }) }}/{{ t("digest:daily.count", { count: 2 }) }}';
      expect(await text(count)).to.equal('0 updates/1 update/2 updates');
      expect(await text(count, { locale: 'fr' })).to.equal('0 nouveauté/1 nouveauté/2 nouveautés');
      expect(await text('{{ t("common:greeting", { name: "Zoé" }) }}', { locale: 'fr-CA' })).to.equal('Bonjour Zoé,');
      expect(await text('{{ t("common:greeting", { name: "Hans" }) }}', { locale: 'de' })).to.equal('Hello Hans,');
      expect(await text('{{ t("common:no.such.key") }}')).to.equal('no.such.key');
    });
  });

  it('keeps renders apart: a variable set in one part or render never leaks into another', async () => {
    const content = await render({ title: '{% set secret = "s3cret" %}T', body: '[{{ secret }}]' }, { channel: 'push' });
    expect(content.body).to.equal('[]');
    expect(await text('[{{ secret }}]')).to.equal('[]');
  });

  it('renders every channel kind of a job', async () => {
    const channels: Channel[] = ['sms', 'whatsapp', 'voice'];
    for (const channel of channels) expect((await render({ text: '{{ data.name }}' }, { channel })).text).to.equal('Ada');
  });
});

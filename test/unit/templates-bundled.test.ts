import { expect } from 'chai';
import type { Channel, RenderedContent } from '@clarion/adapter-kit';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { createLogger } from '../../core/log.ts';
import { BlockSyntaxError, extractParts } from '../../core/templates/blocks.ts';
import { BundledTemplates } from '../../core/templates/bundled.ts';
import { LOCALES_DIR, loadTranslations, type Resources } from '../../core/templates/i18n.ts';
import { RenderPool } from '../../core/templates/pool.ts';
import { analyseParts, syntaxProblem } from '../../core/templates/validate.ts';

/**
 * The bundled workflows (templates/<workflow>/): every channel template renders in English and
 * French with its sample data and says what it is about; every variable it uses is declared in
 * its schema.json; every translation it uses exists in both languages.
 */

const WORKFLOWS = [
  'approval.requested', 'digest.daily', 'incident.escalated', 'issue.assigned', 'issue.comment_added', 'issue.resolved', 'payment.requested',
  'quotation.status_changed', 'security.suspicious_login', 'webhook.endpoint_disabled',
];

/** What every channel of a workflow must show, per language (matched case-insensitively). */
const EXPECTED: Record<string, { en: string[]; fr: string[] }> = {
  'quotation.status_changed': { en: ['Q-2026-0042', 'approved'], fr: ['Q-2026-0042', 'accepté'] },
  'approval.requested': { en: ['Purchase of 12 laptops', 'approval'], fr: ['Purchase of 12 laptops', 'approb'] },
  'payment.requested': { en: ['INV-2026-0311', '1,480.75'], fr: ['INV-2026-0311', '1 480,75'] },
  'issue.assigned': { en: ['OPS-412', 'assigned to you'], fr: ['OPS-412', 'attribué'] },
  'issue.resolved': { en: ['OPS-412', 'resolved'], fr: ['OPS-412', 'résolu'] },
  'issue.comment_added': { en: ['OPS-412', 'Margaret Hamilton'], fr: ['OPS-412', 'Margaret Hamilton'] },
  'security.suspicious_login': { en: ['Lyon, France', 'secure your account'], fr: ['Lyon, France', 'sécurisez votre compte'] },
  'incident.escalated': { en: ['Checkout API returns 502 errors', 'escalated'], fr: ['Checkout API returns 502 errors', 'checkout'] },
  'digest.daily': { en: ['3 updates', '2026'], fr: ['3 nouveautés', '2026'] },
  'webhook.endpoint_disabled': { en: ['hooks.example.com', 'disabled'], fr: ['hooks.example.com', 'désactivé'] },
};

describe('bundled workflows', function () {
  this.timeout(30_000);
  const translations = loadTranslations();
  const bundled = new BundledTemplates(translations.locales);
  let pool: RenderPool;

  before(() => {
    pool = new RenderPool({ localesDir: LOCALES_DIR, layoutsDir: bundled.layoutsDir, log: createLogger('silent'), size: 2 });
  });
  after(() => pool.close());

  it('are the nine workflows of the requirements (and Clarion\'s own endpoint-disabled notice), each with email, sms, push and in-app templates', () => {
    expect(bundled.workflows().map((w) => w.key)).to.deep.equal(WORKFLOWS);
    for (const workflow of bundled.workflows()) {
      const channels = [...workflow.channels.keys()];
      expect(channels, workflow.key).to.include.members(['email', 'sms', 'push', 'in_app']);
      expect(workflow.schema, workflow.key).to.be.an('object');
      expect(workflow.sample?.data, workflow.key).to.be.an('object');
      expect(workflow.sample?.subscriber, workflow.key).to.be.an('object');
    }
    for (const key of ['incident.escalated', 'security.suspicious_login']) expect([...bundled.workflow(key)!.channels.keys()]).to.include('voice');
  });

  it('have schemas that compile as strict JSON Schema 2020-12 contracts and samples that match them', () => {
    const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictTuples: false, strictRequired: false, allowUnionTypes: true });
    addFormats.default(ajv);
    for (const workflow of bundled.workflows()) {
      const validate = ajv.compile(workflow.schema!);
      expect(validate(workflow.sample!.data), `${workflow.key}: ${JSON.stringify(validate.errors)}`).to.equal(true);
      expect(validate({ ...(workflow.sample!.data as object), recipients: undefined }), `${workflow.key} requires recipients`).to.equal(false);
    }
  });

  it('have the same translation keys in every locale', () => {
    const keys = (resources: Resources, locale: string) => {
      const out: string[] = [];
      const walk = (node: unknown, prefix: string) => {
        for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
          if (v && typeof v === 'object') walk(v, `${prefix}${k}.`);
          else out.push(`${prefix}${k.replace(/_(zero|one|two|few|many|other)$/, '')}`);
        }
      };
      for (const [ns, tree] of Object.entries(resources[locale])) walk(tree, `${ns}:`);
      return [...new Set(out)].sort();
    };
    expect(translations.locales).to.deep.equal(['en', 'fr']);
    expect(keys(translations.resources, 'fr')).to.deep.equal(keys(translations.resources, 'en'));
  });

  for (const key of WORKFLOWS) {
    describe(key, () => {
      it('uses only declared variables and existing translations, with no syntax error', () => {
        const workflow = bundled.workflow(key)!;
        for (const channel of workflow.channels.keys()) {
          for (const locale of bundled.locales(key, channel)) {
            const file = bundled.file(key, channel, locale)!;
            for (const [part, source] of Object.entries(file.parts)) expect(syntaxProblem(part, source), `${file.file} ${part}`).to.equal(undefined);
            const warnings = analyseParts(file.parts, {
              workflow: key,
              schema: workflow.schema,
              schemaName: `templates/${key}/schema.json`,
              resources: translations.resources,
              locales: translations.locales,
              layouts: new Set(bundled.layouts().keys()),
            });
            expect(warnings, file.file).to.deep.equal([]);
          }
        }
      });

      for (const locale of ['en', 'fr'] as const) {
        it(`renders every channel in ${locale} with its sample data`, async () => {
          const workflow = bundled.workflow(key)!;
          for (const channel of workflow.channels.keys()) {
            const file = bundled.file(key, channel, locale)!;
            const content = await pool.render({
              name: file.file,
              channel,
              parts: file.parts,
              layouts: {},
              context: {
                event: { id: 'evt-1', source: '/tests', type: key },
                data: workflow.sample!.data,
                subscriber: { ...workflow.sample!.subscriber, locale },
                tenant: { name: 'Acme & Co', brand: { color: '#0f766e' } },
                notification: { id: 'n-1', priority: 'high', ackUrl: 'https://acme.test/ack/n-1', unsubscribeUrl: 'https://acme.test/unsubscribe/n-1' },
                ...(workflow.sample!.items ? { items: workflow.sample!.items } : {}),
              },
              locale,
              formatLocale: locale,
              timeZone: 'Europe/Paris',
              now: '2026-11-21T10:00:00Z',
              maxOutputChars: 512 * 1024,
            });
            checkContent(`${file.file} [${locale}]`, channel, content, EXPECTED[key][locale]);
          }
        });
      }
    });
  }

  it('renders the French voice call of incident.escalated from its own override file', async () => {
    expect(bundled.file('incident.escalated', 'voice', 'fr')!.file).to.equal('incident.escalated/voice.fr.njk');
    expect(bundled.file('incident.escalated', 'voice', 'en')!.file).to.equal('incident.escalated/voice.njk');
    const workflow = bundled.workflow('incident.escalated')!;
    const content = await pool.render({
      name: 'voice.fr', channel: 'voice', parts: bundled.file('incident.escalated', 'voice', 'fr')!.parts, layouts: {},
      context: { event: {}, data: workflow.sample!.data, subscriber: workflow.sample!.subscriber!, tenant: { name: 'Acme' }, notification: {} },
      locale: 'fr', formatLocale: 'fr', timeZone: 'Europe/Paris', now: '2026-11-21T10:00:00Z', maxOutputChars: 100_000,
    });
    expect(content.text).to.equal(
      "Appel urgent de Acme.\nIncident de gravité un sur le service checkout api, qui vous est maintenant confié.\nCheckout API returns 502 errors.\nL'incident a commencé à 09:40, il y a 1 heure.\nIl était jusqu'ici chez Grace Hopper.",
    );
  });

  it('escapes the sample data in HTML emails', async () => {
    const workflow = bundled.workflow('quotation.status_changed')!;
    const content = await pool.render({
      name: 'email', channel: 'email', parts: bundled.file(workflow.key, 'email', 'en')!.parts, layouts: {},
      context: { event: {}, data: workflow.sample!.data, subscriber: workflow.sample!.subscriber!, tenant: { name: 'Acme & Co' }, notification: {} },
      locale: 'en', formatLocale: 'en', timeZone: 'Europe/Paris', now: '2026-11-21T10:00:00Z', maxOutputChars: 512 * 1024,
    });
    expect(content.html).to.include('Dupont &amp; Fils');
    expect(content.html).to.include('&lt;15 January&gt;');
    expect(content.html).to.include('Sent by Acme &amp; Co');
    expect(content.text).to.include('Dupont & Fils');
    expect(content.text).to.include('<15 January>');
  });

  describe('channel files', () => {
    it('are split into parts at their top-level blocks, the layout going with the html part', () => {
      const { extendsName, parts } = extractParts('{% extends "_layouts/email.njk" %}\n\n{% block subject -%}\n  Hi {{ x }}\n{%- endblock %}\n{% block html %}<p>{% block inner %}i{% endblock %}</p>{% endblock %}\n{# note #}\n{% block text %}{% raw %}{% endblock %}{% endraw %}{% endblock %}');
      expect(extendsName).to.equal('_layouts/email.njk');
      expect(parts.subject).to.deep.equal({ source: 'Hi {{ x }}', line: 4, column: 3, prefix: 0 });
      expect(parts.html.source).to.equal('{% extends "_layouts/email.njk" %}{% block html %}<p>{% block inner %}i{% endblock %}</p>{% endblock %}');
      expect(parts.html).to.include({ line: 6, column: 17 });
      expect(parts.text.source).to.equal('{% raw %}{% endblock %}{% endraw %}');
    });

    it('refuse what would silently never render, with the line', () => {
      const cases: Array<[string, RegExp, number]> = [
        ['{% block text %}a{% endblock %}\nstray text', /text outside blocks/, 2],
        ['{% block text %}a{% endblock %}\n{{ x }}', /outside blocks/, 2],
        ['{% set x = 1 %}\n{% block text %}a{% endblock %}', /only \{% extends %\} and \{% block %\}/, 1],
        ['{% block text %}a{% endblock %}\n{% block text %}b{% endblock %}', /defined twice/, 2],
        ['{% block text %}\na', /not closed/, 2],
        ['{% block html %}a{% endblock %}\n{% extends "_layouts/email.njk" %}', /must come first/, 2],
      ];
      for (const [source, message, line] of cases) {
        const error = (() => {
          try {
            extractParts(source);
          } catch (err) {
            return err as BlockSyntaxError;
          }
          throw new Error(`accepted ${source}`);
        })();
        expect(error, source).to.be.instanceOf(BlockSyntaxError);
        expect(error.message, source).to.match(message);
        expect(error.line, source).to.equal(line);
      }
    });
  });
});

function checkContent(label: string, channel: Channel, content: RenderedContent, expected: string[]): void {
  const strings = [content.subject, content.html, content.text, content.title, content.body, content.url, JSON.stringify(content.data ?? null), JSON.stringify(content.actions ?? null), JSON.stringify(content.blocks ?? null), JSON.stringify(content.json ?? null)];
  // Intl separates thousands with (narrow) no-break spaces in French: compare with plain spaces.
  const all = strings.filter((s) => s !== undefined).join('\n').replace(/[\u00a0\u202f]/g, ' ');
  for (const needle of expected) expect(all.toLowerCase(), `${label} should mention ${needle}`).to.include(needle.toLowerCase());
  expect(all, label).to.not.match(/\{\{|\{%|\bundefined\b|\[object Object\]|NaN|Invalid Date/);
  // A key i18next could not find comes back as the key itself.
  expect(all.replace(/https?:\/\/[^\s"'<>]+/g, ''), label).to.not.match(/\b(status|severity|severity_spoken|resolution|priority|status_changed|requested|assigned|resolved|comment_added|suspicious_login|escalated|daily|email)\.[a-z_]+\b/);
  const required: Record<Channel, Array<keyof RenderedContent>> = {
    email: ['subject', 'html', 'text'], sms: ['text'], whatsapp: ['text'], voice: ['text'], push: ['title', 'body'], chat: ['text'], in_app: ['title', 'body'], webhook: ['json'],
  };
  for (const part of required[channel]) expect(content[part], `${label} ${part}`).to.not.equal(undefined);
  if (channel === 'email') {
    expect(content.html, label).to.match(/^<!DOCTYPE html>/);
    expect(content.html, label).to.include('https://acme.test/unsubscribe/n-1');
    expect(content.text, label).to.include('https://acme.test/unsubscribe/n-1');
  }
}

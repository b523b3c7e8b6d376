import { expect } from 'chai';
import type { Channel, RenderedContent } from '@clarion/adapter-kit';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { createLogger } from '../../core/log.ts';
import { BundledTemplates } from '../../core/templates/bundled.ts';
import { LOCALES_DIR, loadTranslations } from '../../core/templates/i18n.ts';
import { RenderPool } from '../../core/templates/pool.ts';
import { minimalInstance } from '../support/minimal-instance.ts';

/**
 * Every bundled template (every workflow, every channel, en and fr) rendered with the smallest
 * data its schema.json allows (required properties only), a subscriber known by id alone and a
 * tenant without a brand: optional fields that are absent must leave no trace, such as "()",
 * "(started )", ": .", a dangling " at", doubled spaces, "undefined" or an empty link.
 */

/** What an absent value leaves behind in text, each with a name for the failure message. */
const PLACEHOLDERS: Array<[string, RegExp]> = [
  ['empty parentheses', /\(\s*\)/],
  ['a space just inside parentheses', /\(\s|\S\s+\)/],
  ['empty brackets', /\[\s*\]/],
  ['a label with nothing after it', /:\s*[.,;)]/],
  ['a colon ending the text', /[^\s:/]\s*:\s*$/],
  ['a space before a comma or full stop', /\S[ \t]+[,.](\s|$)/],
  ['a doubled comma', /,\s*,/],
  ['a comma ending the text', /,\s*$/],
  ['a dangling preposition', /\b(at|by|on|from|for|to|of|with|à|par|de|du|le|sur|pour|avec)[ \t]*[.,:;)]?[ \t]*$/im],
  ['a doubled space', /\S[ \t]{2,}\S/],
  ['a value that was not there', /\b(undefined|null|NaN|Invalid Date)\b|\[object Object\]/],
  ['an empty bullet', /^[ \t]*[-•*][ \t]*$/m],
  ['an empty quotation', /"\s*"|«\s*»|“\s*”/],
  ['an untranslated key', /\b[a-z_]+:[a-z_]+\.[a-z_.]+\b/],
];

function problems(text: string): string[] {
  // URLs carry their own punctuation; the text footer's "--" is a separator.
  const plain = text.replace(/https?:\/\/[^\s"'<>]+/g, 'URL').replace(/^--$/gm, '');
  return PLACEHOLDERS.filter(([, pattern]) => pattern.test(plain)).map(([name, pattern]) => `${name}: ${JSON.stringify(pattern.exec(plain)![0])} in ${JSON.stringify(plain)}`);
}

/** The visible text of an HTML email: no tags, no head, no hidden preheader padding. */
function visibleText(html: string): string {
  return html
    .replace(/<head[\s\S]*?<\/head>/i, '')
    .replace(/<div class="preheader"[\s\S]*?<\/div>/, '')
    .replace(/<(br|\/p|\/tr|\/h\d|\/li|\/table)[^>]*>/gi, '\n')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&nbsp;|&#160;/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;|&#34;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .split('\n')
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .filter(Boolean)
    .join('\n');
}

export function contentProblems(content: RenderedContent): string[] {
  const found: string[] = [];
  const check = (part: string, text: string | undefined) => {
    if (text === undefined) return;
    if (text.trim() === '') found.push(`${part}: empty`);
    for (const problem of problems(text)) found.push(`${part}: ${problem}`);
  };
  check('subject', content.subject);
  check('title', content.title);
  check('body', content.body);
  check('text', content.text);
  if (content.html !== undefined) {
    check('html', visibleText(content.html));
    const emptyLink = /<a\b[^>]*\bhref="\s*"/.exec(content.html);
    if (emptyLink) found.push(`html: a link without a URL: ${emptyLink[0]}`);
  }
  if (content.url !== undefined && !/^(https?:\/\/\S+|\/\S*)$/.test(content.url)) found.push(`url: ${JSON.stringify(content.url)}`);
  for (const [key, value] of Object.entries(content.data ?? {})) {
    if (value === '' || /^(undefined|null|NaN)$/.test(value)) found.push(`data.${key}: ${JSON.stringify(value)}`);
  }
  for (const [i, action] of (content.actions ?? []).entries()) check(`actions[${i}].label`, action.label);
  // Chat blocks and webhook bodies: every string in them.
  const walk = (part: string, value: unknown): void => {
    if (typeof value === 'string') check(part, value);
    else if (Array.isArray(value)) value.forEach((v, i) => walk(`${part}/${i}`, v));
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(`${part}/${k}`, v);
  };
  walk('blocks', content.blocks);
  walk('json', content.json);
  return found;
}

describe('bundled templates with minimal data', function () {
  this.timeout(60_000);
  const translations = loadTranslations();
  const bundled = new BundledTemplates(translations.locales);
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats.default(ajv);
  let pool: RenderPool;

  before(() => {
    pool = new RenderPool({ localesDir: LOCALES_DIR, layoutsDir: bundled.layoutsDir, log: createLogger('silent'), size: 2 });
  });
  after(() => pool.close());

  it('find what absent fields leave behind', () => {
    expect(problems('OPS-1 (started )')).to.have.length.above(0);
    expect(problems('Checkout is down ()')).to.have.length.above(0);
    expect(problems('Amount: .')).to.have.length.above(0);
    expect(problems('Logged in at')).to.have.length.above(0);
    expect(problems('Hello  Ada')).to.have.length.above(0);
    expect(problems('Hello , welcome')).to.have.length.above(0);
    expect(problems('Due undefined')).to.have.length.above(0);
    expect(problems('Ack:')).to.have.length.above(0);
    expect(problems('Hello,\n\nAda commented on OPS-1:\n\nyour order (OPS-1) shipped at 10:30.\n\n  Indented: fine\nAcme : résumé')).to.deep.equal([]);
    expect(contentProblems({ html: '<p><a href="">Open</a></p>' })).to.have.length(1);
    expect(contentProblems({ blocks: [{ type: 'context', elements: [{ type: 'mrkdwn', text: 'Project: ' }] }] })).to.have.length(1);
  });

  for (const workflow of bundled.workflows()) {
    describe(workflow.key, () => {
      const data = minimalInstance(workflow.schema!);

      it('has minimal data that its schema accepts', () => {
        const validate = ajv.compile(workflow.schema!);
        expect(validate(data), JSON.stringify(validate.errors)).to.equal(true);
      });

      for (const locale of ['en', 'fr'] as const) {
        it(`renders every channel in ${locale} without empty placeholders`, async () => {
          const found: string[] = [];
          for (const channel of workflow.channels.keys() as Iterable<Channel>) {
            const file = bundled.file(workflow.key, channel, locale)!;
            // Without links (a required workflow, normal priority) and with both.
            for (const notification of [{ id: 'n-1', priority: 'normal' }, { id: 'n-1', priority: 'high', ackUrl: 'https://acme.test/ack/n-1', unsubscribeUrl: 'https://acme.test/u/n-1' }]) {
              const content = await pool.render({
                name: file.file,
                channel,
                parts: file.parts,
                layouts: {},
                context: { event: { id: 'evt-1', source: '/tests', type: workflow.key }, data, subscriber: { id: 'u-1', locale }, tenant: { name: 'Acme' }, notification },
                locale,
                formatLocale: locale,
                timeZone: 'UTC',
                now: '2026-11-21T10:00:00Z',
                maxOutputChars: 512 * 1024,
              });
              for (const problem of contentProblems(content)) found.push(`${file.file} [${locale}${notification.ackUrl ? ', with links' : ''}] ${problem}`);
            }
          }
          expect(found, found.join('\n')).to.deep.equal([]);
        });
      }
    });
  }
});

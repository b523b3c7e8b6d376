import { readdirSync, readFileSync } from 'node:fs';
import { expect } from 'chai';
import { NOTIFICATION_STATUSES, DELIVERY_STATUSES } from '../../core/notifications/status.ts';
import { TENANT_ROLES } from '../../core/accounts/roles.ts';

/** Every text the console shows has its French, with the same {placeholders}. */
describe('admin console locales', () => {
  const fr = JSON.parse(readFileSync(new URL('../../admin/locales/fr.json', import.meta.url), 'utf8')) as Record<string, string>;
  const dir = (path: string) => readdirSync(new URL(path, import.meta.url)).map((name) => readFileSync(new URL(`${path}${name}`, import.meta.url), 'utf8'));
  const sources = [...dir('../../admin/views/'), ...dir('../../admin/routes/'), readFileSync(new URL('../../admin/app.ts', import.meta.url), 'utf8')];

  const texts = new Set<string>();
  for (const source of sources) {
    for (const m of source.matchAll(/\bt\(\s*'((?:[^'\\]|\\.)*)'/g)) texts.add(m[1].replace(/\\'/g, "'").replace(/\\n/g, '\n'));
    for (const m of source.matchAll(/\bt\(\s*"((?:[^"\\]|\\.)*)"/g)) texts.add(m[1]);
    for (const m of source.matchAll(/\['\/admin[^']*', '([^']+)'\]/g)) texts.add(m[1]);
  }
  // Values shown through t(value): statuses and roles.
  for (const value of [...NOTIFICATION_STATUSES, ...DELIVERY_STATUSES, ...TENANT_ROLES, 'operator']) texts.add(value);

  it('has a French text for every English one', () => {
    expect(texts.size).to.be.greaterThan(300);
    const missing = [...texts].filter((text) => !Object.hasOwn(fr, text));
    expect(missing, `missing in admin/locales/fr.json:\n${missing.join('\n')}`).to.deep.equal([]);
  });

  it('keeps every placeholder of the English text', () => {
    const names = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    const wrong = Object.entries(fr).filter(([en, text]) => names(en).join() !== names(text).join()).map(([en]) => en);
    expect(wrong).to.deep.equal([]);
  });
});

import { expect } from 'chai';
import type { Channel } from '@clarion/adapter-kit';
import { createLogger } from '../../core/log.ts';
import { digestWindow, windowOf } from '../../plugins/digest/window.ts';
import { BundledTemplates } from '../../core/templates/bundled.ts';
import { LOCALES_DIR, loadTranslations } from '../../core/templates/i18n.ts';
import { RenderPool } from '../../core/templates/pool.ts';

/** A digest is titled after the window it covers, not always "daily". */
describe('digest windows', function () {
  this.timeout(30_000);

  it('name a window by the largest whole unit', () => {
    expect(windowOf(60)).to.deep.equal({ seconds: 60, unit: 'minute', count: 1 });
    expect(windowOf(90)).to.deep.equal({ seconds: 90, unit: 'minute', count: 2 });
    expect(windowOf(5400)).to.deep.equal({ seconds: 5400, unit: 'minute', count: 90 });
    expect(windowOf(3600)).to.deep.equal({ seconds: 3600, unit: 'hour', count: 1 });
    expect(windowOf(7200)).to.deep.equal({ seconds: 7200, unit: 'hour', count: 2 });
    expect(windowOf(86_400)).to.deep.equal({ seconds: 86_400, unit: 'day', count: 1 });
    expect(windowOf(172_800)).to.deep.equal({ seconds: 172_800, unit: 'day', count: 2 });
    expect(windowOf(604_800)).to.deep.equal({ seconds: 604_800, unit: 'week', count: 1 });
    expect(windowOf(10)).to.deep.equal({ seconds: 60, unit: 'minute', count: 1 });
  });

  it("read a digest's window from its items' batch decisions, 24 hours for the daily summary", () => {
    const item = (windowSeconds: unknown) => ({ decisions: [{ plugin: 'dedup', decision: 'continue' }, { plugin: 'digest', decision: 'batch', details: { windowSeconds } }] });
    expect(digestWindow('comments', [item(60)])).to.deep.equal({ seconds: 60, unit: 'minute', count: 1 });
    expect(digestWindow('comments', [{ decisions: [] }, item(7200)])).to.deep.equal({ seconds: 7200, unit: 'hour', count: 2 });
    expect(digestWindow('daily:2026-11-21', [{ decisions: [] }])).to.deep.equal({ seconds: 86_400, unit: 'day', count: 1 });
    expect(digestWindow('comments', [item('soon'), { decisions: null }, {}])).to.equal(undefined);
  });

  describe('in the bundled digest.daily templates', () => {
    const translations = loadTranslations();
    const bundled = new BundledTemplates(translations.locales);
    let pool: RenderPool;
    before(() => {
      pool = new RenderPool({ localesDir: LOCALES_DIR, layoutsDir: bundled.layoutsDir, log: createLogger('silent'), size: 1 });
    });
    after(() => pool.close());

    async function render(channel: Channel, locale: 'en' | 'fr', window: unknown, items: unknown[] = []) {
      const file = bundled.file('digest.daily', channel, locale)!;
      return pool.render({
        name: file.file, channel, parts: file.parts, layouts: {},
        context: { event: {}, data: { date: '2026-11-21', items, ...(window ? { window } : {}) }, items, subscriber: { id: 'u-1', name: 'Ada', locale }, tenant: { name: 'Acme' }, notification: { id: 'n-1', priority: 'low' } },
        locale, formatLocale: locale, timeZone: 'UTC', now: '2026-11-21T10:00:00Z', maxOutputChars: 100_000,
      });
    }

    const titles: Array<[number | undefined, string, string]> = [
      [60, 'Your summary of the last minute', 'Votre résumé de la dernière minute'],
      [300, 'Your summary of the last 5 minutes', 'Votre résumé des 5 dernières minutes'],
      [3600, 'Your summary of the last hour', 'Votre résumé de la dernière heure'],
      [7200, 'Your summary of the last 2 hours', 'Votre résumé des 2 dernières heures'],
      [172_800, 'Your summary of the last 2 days', 'Votre résumé des 2 derniers jours'],
      [604_800, 'Your weekly summary', 'Votre résumé de la semaine'],
    ];
    for (const [seconds, en, fr] of titles) {
      it(`title a ${seconds}-second digest "${en}" / "${fr}" on every channel`, async () => {
        const window = windowOf(seconds!);
        const item = { title: 'Comment on OPS-1', at: '2026-11-21T09:59:00Z' };
        for (const [locale, title] of [['en', en], ['fr', fr]] as const) {
          const email = await render('email', locale, window, [item]);
          expect(email.subject, locale).to.equal(title);
          expect(email.text!.split('\n')[0], locale).to.equal(title);
          expect(email.html, locale).to.include(`>${title}</h1>`);
          expect(`${email.subject} ${email.text}`, locale).to.not.match(/daily|du jour|quotidien|today|aujourd'hui/i);
          expect((await render('push', locale, window, [item])).title, locale).to.equal(title);
          expect((await render('in_app', locale, window, [item])).title, locale).to.equal(title);
          expect((await render('sms', locale, window, [item])).text, locale).to.equal(locale === 'en' ? `Acme: ${title}, 1 update.` : `Acme : ${title}, 1 nouveauté.`);
          const empty = await render('email', locale, window);
          expect(empty.text, locale).to.include(locale === 'en' ? 'Nothing new.' : 'Rien de nouveau.');
        }
      });
    }

    it('keeps "daily summary" with its date for a one-day window, and for a digest.daily event without one', async () => {
      for (const window of [windowOf(86_400), undefined]) {
        const en = await render('email', 'en', window);
        expect(en.subject).to.equal('Your daily summary for November 21, 2026');
        expect(en.text).to.include('Here is what happened on Saturday, November 21, 2026.');
        expect(en.text).to.include('Nothing new today.');
        expect((await render('push', 'en', window)).title).to.equal('Your daily summary');
        expect((await render('sms', 'en', window)).text).to.equal('Acme summary for Nov 21, 2026: 0 updates.');
        const fr = await render('email', 'fr', window);
        expect(fr.subject).to.equal('Votre résumé du 21 novembre 2026');
        expect(fr.html).to.include('>Votre résumé du jour</h1>');
      }
    });
  });
});

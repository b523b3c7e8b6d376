import { expect } from 'chai';
import { canonicalLocale, formattingLocale, localeCandidates, localeChain, resolveLocale } from '../../core/templates/locale.ts';
import { resolveLocale as exported } from '../../core/templates/service.ts';

describe('locale resolution', () => {
  it('falls back from a region to its language, then the tenant default, then en', () => {
    expect(resolveLocale('fr-CA', 'de', ['en', 'fr', 'de'])).to.equal('fr');
    expect(resolveLocale('fr-CA', 'de', ['en', 'fr-CA', 'fr'])).to.equal('fr-CA');
    expect(resolveLocale('pt-BR', 'de', ['en', 'fr', 'de'])).to.equal('de');
    expect(resolveLocale('pt-BR', 'de-AT', ['en', 'fr', 'de'])).to.equal('de');
    expect(resolveLocale('pt-BR', 'it', ['en', 'fr'])).to.equal('en');
    expect(resolveLocale(null, null, ['en', 'fr'])).to.equal('en');
    expect(resolveLocale(undefined, 'fr', ['en', 'fr'])).to.equal('fr');
  });

  it('is what the template service exports for the delivery engine', () => {
    expect(exported).to.equal(resolveLocale);
  });

  it('accepts any spelling of a locale and answers with the available one', () => {
    expect(resolveLocale('FR_ca', null, ['en', 'fr-CA'])).to.equal('fr-CA');
    expect(resolveLocale('fr-ca', null, ['en', 'FR'])).to.equal('fr');
    expect(resolveLocale('not a locale!', 'fr', ['en', 'fr'])).to.equal('fr');
  });

  it('chooses deterministically when nothing in the chain is available', () => {
    expect(resolveLocale('fr', null, ['es', 'de'])).to.equal('de');
    expect(resolveLocale('fr', null, [])).to.equal('en');
  });

  it('builds chains from the most to the least specific locale', () => {
    expect(localeChain('zh-Hant-TW')).to.deep.equal(['zh-Hant-TW', 'zh-Hant', 'zh']);
    expect(localeChain('fr_CA')).to.deep.equal(['fr-CA', 'fr']);
    expect(localeChain('')).to.deep.equal([]);
    expect(localeCandidates('fr-CA', 'en-GB')).to.deep.equal(['fr-CA', 'fr', 'en-GB', 'en']);
    expect(canonicalLocale('EN-us')).to.equal('en-US');
    expect(canonicalLocale('<script>')).to.equal(undefined);
  });

  it("formats dates and numbers in the subscriber's own locale when it speaks the message's language", () => {
    expect(formattingLocale('fr-CA', 'fr')).to.equal('fr-CA');
    expect(formattingLocale('de-AT', 'en')).to.equal('en');
    expect(formattingLocale(undefined, 'fr')).to.equal('fr');
  });
});

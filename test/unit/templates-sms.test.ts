import { expect } from 'chai';
import { smsInfo } from '../../core/templates/sms.ts';
import { pushInfo } from '../../core/templates/push.ts';

describe('SMS encoding and segments', () => {
  const gsm = (n: number) => 'a'.repeat(n);
  const ucs = (n: number) => 'ж'.repeat(n);

  it('counts GSM-7: 160 characters in one segment, 153 per segment beyond', () => {
    expect(smsInfo(gsm(160))).to.include({ encoding: 'GSM-7', segments: 1, units: 160, perSegment: 160 });
    expect(smsInfo(gsm(161))).to.include({ encoding: 'GSM-7', segments: 2, units: 161, perSegment: 153 });
    expect(smsInfo(gsm(306))).to.include({ encoding: 'GSM-7', segments: 2 });
    expect(smsInfo(gsm(307))).to.include({ encoding: 'GSM-7', segments: 3 });
    expect(smsInfo(gsm(459))).to.include({ encoding: 'GSM-7', segments: 3 });
    expect(smsInfo(gsm(460))).to.include({ encoding: 'GSM-7', segments: 4 });
  });

  it('counts UCS-2: 70 characters in one segment, 67 per segment beyond', () => {
    expect(smsInfo(ucs(70))).to.include({ encoding: 'UCS-2', segments: 1, units: 70, perSegment: 70 });
    expect(smsInfo(ucs(71))).to.include({ encoding: 'UCS-2', segments: 2, perSegment: 67 });
    expect(smsInfo(ucs(134))).to.include({ encoding: 'UCS-2', segments: 2 });
    expect(smsInfo(ucs(135))).to.include({ encoding: 'UCS-2', segments: 3 });
  });

  it('counts extension-table characters twice', () => {
    for (const char of ['€', '{', '}', '[', ']', '\\', '~', '^', '|']) {
      expect(smsInfo(char.repeat(80)), char).to.include({ encoding: 'GSM-7', units: 160, segments: 1 });
      expect(smsInfo(char.repeat(81)), char).to.include({ encoding: 'GSM-7', units: 162, segments: 2 });
    }
    expect(smsInfo(`${gsm(158)}€`)).to.include({ units: 160, segments: 1 });
    expect(smsInfo(`${gsm(159)}€`)).to.include({ units: 161, segments: 2 });
  });

  it('never splits an escape sequence across segments', () => {
    // 152 septets then a 2-septet character: it cannot straddle the 153-septet boundary.
    const text = `${gsm(152)}€${gsm(152)}`;
    expect(smsInfo(text)).to.include({ units: 306, segments: 3 });
    expect(smsInfo(`${gsm(151)}€${gsm(151)}`)).to.include({ units: 304, segments: 2 });
  });

  it('keeps the accented letters of the GSM alphabet in GSM-7 and sends any other character as UCS-2', () => {
    expect(smsInfo('Déjà vu? èéùìò ÄÖÑÜ äöñüà £¥$ ¿¡ ΔΦΓΛΩΠΨΣΘΞ').encoding).to.equal('GSM-7');
    const french = smsInfo('Votre reçu est prêt');
    expect(french).to.include({ encoding: 'UCS-2', units: 19 });
    expect(french.nonGsmCharacters).to.have.members(['ç', 'ê']);
    expect(smsInfo('Curly “quotes”').encoding).to.equal('UCS-2');
  });

  it('counts an emoji as two UTF-16 units and never splits it', () => {
    expect(smsInfo('🎉')).to.include({ encoding: 'UCS-2', units: 2, characters: 1, segments: 1 });
    expect(smsInfo(`${ucs(69)}🎉`)).to.include({ units: 71, segments: 2 });
    // 66 units, then a surrogate pair that does not fit the 67-unit segment.
    expect(smsInfo(`${ucs(66)}🎉${ucs(66)}`)).to.include({ units: 134, segments: 3 });
  });

  it('reports an empty text as no segment', () => {
    expect(smsInfo('')).to.include({ encoding: 'GSM-7', segments: 0, units: 0 });
  });
});

describe('push payload limits', () => {
  it('fits a short notification everywhere', () => {
    const info = pushInfo({ title: 'Quotation approved', body: 'Q-1 is now approved', data: { id: 'Q-1' } });
    expect(info.fits).to.equal(true);
    expect(info.payloads.map((p) => [p.platform, p.limit])).to.deep.equal([['fcm', 4000], ['apns', 4096], ['webpush', 3993]]);
    expect(info.title).to.deep.equal({ length: 18, displayLimit: 65, truncated: false });
  });

  it('reports the platforms a large payload does not fit', () => {
    const info = pushInfo({ title: 'x', body: 'é'.repeat(2000) });
    // 2000 × 2 bytes of UTF-8 plus the envelope: over FCM's 4000 and Web Push's 3993, under APNs' 4096.
    const byPlatform = Object.fromEntries(info.payloads.map((p) => [p.platform, p.fits]));
    expect(byPlatform).to.deep.equal({ fcm: false, apns: true, webpush: false });
    expect(info.fits).to.equal(false);
    expect(info.body.truncated).to.equal(true);
  });
});

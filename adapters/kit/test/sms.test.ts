import { expect } from 'chai';
import { PermanentError, smsKeyword, smsSegments, toE164 } from '@clarion/adapter-kit';

describe('adapter-kit: SMS helpers', () => {
  describe('toE164', () => {
    it('normalises a formatted international number', () => {
      expect(toE164('+1 (415) 555-0100')).to.equal('+14155550100');
      expect(toE164(' +33 6 12 34 56 78 ')).to.equal('+33612345678');
    });

    for (const bad of ['4155550100', '+1415555', '+14155550100 ext 2', 'call me', '+999 123 456']) {
      it(`refuses "${bad}" as a permanent invalid_phone_number`, () => {
        let caught: unknown;
        try {
          toE164(bad);
        } catch (err) {
          caught = err;
        }
        expect(caught).to.be.instanceOf(PermanentError);
        expect((caught as PermanentError).code).to.equal('invalid_phone_number');
        expect((caught as PermanentError).message).to.contain(bad.trim());
      });
    }

    it('reports a missing number as missing_phone_number', () => {
      for (const missing of [undefined, null, '', '  ']) {
        expect(() => toE164(missing)).to.throw(PermanentError).with.property('code', 'missing_phone_number');
      }
    });
  });

  describe('smsSegments', () => {
    it('counts GSM-7 texts in 160-septet single parts and 153-septet concatenated parts', () => {
      expect(smsSegments('')).to.deep.equal({ encoding: 'GSM-7', units: 0, segments: 0 });
      expect(smsSegments('a'.repeat(160))).to.deep.equal({ encoding: 'GSM-7', units: 160, segments: 1 });
      expect(smsSegments('a'.repeat(161))).to.deep.equal({ encoding: 'GSM-7', units: 161, segments: 2 });
      expect(smsSegments('a'.repeat(306)).segments).to.equal(2);
      expect(smsSegments('a'.repeat(307)).segments).to.equal(3);
    });

    it('counts GSM-7 extension characters twice and never splits an escape sequence', () => {
      expect(smsSegments('€'.repeat(80))).to.deep.equal({ encoding: 'GSM-7', units: 160, segments: 1 });
      expect(smsSegments('{}[]~|^\\')).to.include({ units: 16, segments: 1 });
      // 152 + € would be 154 septets: the € starts the second part, which then overflows into a third.
      expect(smsSegments(`${'a'.repeat(152)}€${'a'.repeat(152)}`)).to.deep.equal({ encoding: 'GSM-7', units: 306, segments: 3 });
    });

    it('tells the accented letters of the GSM alphabet from those that force UCS-2', () => {
      expect(smsSegments('Café à Genève, ça coûte 5 €?').encoding).to.equal('UCS-2'); // ç, û, ê are not GSM-7
      expect(smsSegments('Hallå Åsa, müde? ¿Qué?').encoding).to.equal('GSM-7');
    });

    it('counts UCS-2 texts in 70-unit single parts and 67-unit parts, surrogate pairs counting twice', () => {
      expect(smsSegments('ł'.repeat(70))).to.deep.equal({ encoding: 'UCS-2', units: 70, segments: 1 });
      expect(smsSegments('ł'.repeat(71))).to.deep.equal({ encoding: 'UCS-2', units: 71, segments: 2 });
      expect(smsSegments('😀'.repeat(35))).to.deep.equal({ encoding: 'UCS-2', units: 70, segments: 1 });
      expect(smsSegments('😀'.repeat(36))).to.deep.equal({ encoding: 'UCS-2', units: 72, segments: 2 });
      expect(smsSegments(`${'ł'.repeat(66)}😀${'ł'.repeat(66)}`)).to.deep.equal({ encoding: 'UCS-2', units: 134, segments: 3 });
    });
  });

  describe('smsKeyword', () => {
    it('recognises the opt-out, opt-in and acknowledgement keywords in any case', () => {
      for (const word of ['STOP', 'stop', 'StopAll', 'UNSUBSCRIBE', 'cancel', 'End', 'QUIT', ' stop. ']) expect(smsKeyword(word), word).to.equal('stop');
      for (const word of ['START', 'unstop', 'Start!']) expect(smsKeyword(word), word).to.equal('start');
      for (const word of ['ACK', 'ack', '1', ' 1 ']) expect(smsKeyword(word), word).to.equal('ack');
    });

    it('leaves ordinary text alone', () => {
      for (const text of ['please stop by later', 'STOP IT', '11', 'acknowledged', '', undefined, 'constructor', 'toString']) {
        expect(smsKeyword(text), String(text)).to.equal(undefined);
      }
    });
  });
});

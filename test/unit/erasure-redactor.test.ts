import { expect } from 'chai';
import { erasedMarker, Redactor } from '../../core/subscribers/erasure.ts';

describe('erasure: finding the person in stored text and JSON', () => {
  const redactor = new Redactor({ externalId: 'ada', name: 'Ada Lovelace', email: 'Ada@Example.com', phone: '+14155550100' });

  it('replaces her email in any case and her phone in E.164 or bare digits, wherever they occur', () => {
    expect(redactor.text('550 5.1.1 <ada@example.com>: Recipient address rejected')).to.equal('550 5.1.1 <[erased]>: Recipient address rejected');
    expect(redactor.text('write to ADA@EXAMPLE.COM.')).to.equal('write to [erased].');
    expect(redactor.text("The 'To' number +14155550100 is not valid")).to.equal("The 'To' number [erased] is not valid");
    expect(redactor.text('whatsapp:+14155550100')).to.equal('whatsapp:[erased]');
    expect(redactor.text('to 14155550100, twice: 14155550100')).to.equal('to [erased], twice: [erased]');
  });

  it('leaves longer addresses and numbers that merely contain hers', () => {
    for (const other of ['sada@example.com', 'ada@example.community', 'ada@example.com.au', '+141555501001', '914155550100', 'order 14155550100123']) {
      expect(redactor.text(other), other).to.equal(other);
    }
  });

  it('replaces her name only where it is the whole string (another person may share it)', () => {
    expect(redactor.text(' ada lovelace ')).to.equal('[erased]');
    expect(redactor.text('Ada Lovelace Jr.')).to.equal('Ada Lovelace Jr.');
    expect(redactor.text('Dear Ada Lovelace')).to.equal('Dear Ada Lovelace');
  });

  it('turns entries naming her in event data into tombstones, and leaves the rest', () => {
    const data = {
      recipients: ['ada', { id: 'ada', email: 'ada@example.com' }, { subscriberId: 'ada' }, 'bob', { id: 'bob', email: 'bob@example.com' }],
      watchers: [['ada']],
      ownerId: 'ada',
      contacts: { 'ada@example.com': 'primary' },
      count: 3,
    };
    expect(redactor.eventData(data)).to.deep.equal({
      recipients: ['[erased]', { id: '[erased]' }, { id: '[erased]' }, 'bob', { id: 'bob', email: 'bob@example.com' }],
      watchers: [['[erased]']],
      // Not in a list: a business field, the tenant's own id for her.
      ownerId: 'ada',
      contacts: { '[erased]': 'primary' },
      count: 3,
    });
  });

  it("replaces her id anywhere in Clarion's own payloads", () => {
    expect(redactor.json({ notificationId: 'n-1', subscriberId: 'ada', message: 'sandbox rejects ada@example.com' }, true))
      .to.deep.equal({ notificationId: 'n-1', subscriberId: '[erased]', message: 'sandbox rejects [erased]' });
  });

  it('finds her email or phone in binary data', () => {
    expect(redactor.inBinary(Buffer.from('x ada@example.com y').toString('base64'))).to.equal(true);
    expect(redactor.inBinary(Buffer.from('x 14155550100 y').toString('base64'))).to.equal(true);
    expect(redactor.inBinary(Buffer.from('nothing here').toString('base64'))).to.equal(false);
  });

  it('marks an erased id per tenant, with a character no subscriber id may hold', () => {
    expect(erasedMarker('t-1', 'ada')).to.match(/^erased~[0-9a-f]{64}$/);
    expect(erasedMarker('t-1', 'ada')).to.equal(erasedMarker('t-1', 'ada'));
    expect(erasedMarker('t-2', 'ada')).to.not.equal(erasedMarker('t-1', 'ada'));
  });
});

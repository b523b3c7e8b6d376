import { expect } from 'chai';
import { ConfigError, PermanentError, TransientError, callbackFields, classifyCode } from '@clarion/adapter-kit';
import type { CallbackRequest } from '@clarion/adapter-kit';

const table = { '20003': 'config', '20429': 'transient', '21211': 'recipient', '30007': 'provider' } as const;

describe('adapter-kit: classifyCode and callbackFields', () => {
  it('classifies a documented code by the table, whatever the HTTP status', () => {
    expect(classifyCode(table, 20003, { message: 'auth', status: 401 })).to.be.instanceOf(ConfigError).and.include({ code: '20003', status: 401 });
    expect(classifyCode(table, '21211', { message: 'bad to', status: 400, body: '{"code":21211}' })).to.be.instanceOf(PermanentError).and.include({ response: '{"code":21211}', scope: 'recipient' });
    expect(classifyCode(table, '30007', { message: 'filtered', status: 400 })).to.be.instanceOf(PermanentError).and.include({ scope: 'provider' });
    const throttled = classifyCode(table, 20429, { message: 'slow down', status: 429, retryAfter: '7' });
    expect(throttled).to.be.instanceOf(TransientError).and.include({ retryAfterMs: 7000 });
  });

  it('falls back to the HTTP status for codes it does not know', () => {
    expect(classifyCode(table, 99999, { message: 'down', status: 503 })).to.be.instanceOf(TransientError).and.include({ code: '99999' });
    expect(classifyCode(table, undefined, { message: 'nope', status: 404 })).to.be.instanceOf(PermanentError).and.include({ code: '404', scope: 'provider' });
    expect(classifyCode(table, undefined, { message: 'who', status: 401 })).to.be.instanceOf(ConfigError);
  });

  it('uses the fallback class for unknown codes carried by a successful HTTP answer', () => {
    expect(classifyCode(table, '77', { message: 'odd', status: 200, fallback: 'transient' })).to.be.instanceOf(TransientError).and.include({ code: '77' });
    expect(classifyCode(table, '77', { message: 'odd' })).to.be.instanceOf(PermanentError);
  });

  const request = (headers: Record<string, string>, rawBody: string, body: unknown): CallbackRequest => ({
    method: 'POST', url: 'https://clarion.example.com/cb', headers, query: {}, rawBody: Buffer.from(rawBody), body,
  });

  it('reads form fields from the exact bytes posted', () => {
    const fields = callbackFields(request({ 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' }, 'MessageSid=SM1&Body=Caf%C3%A9+%26+co&Empty=', { ignored: 'yes' }));
    expect(fields).to.deep.equal({ MessageSid: 'SM1', Body: 'Café & co', Empty: '' });
  });

  it('reads the scalar fields of a JSON body as strings', () => {
    const fields = callbackFields(request({ 'content-type': 'application/json' }, '{}', { a: 'x', n: 3, b: false, nested: { no: 1 }, list: [1] }));
    expect(fields).to.deep.equal({ a: 'x', n: '3', b: 'false' });
  });
});

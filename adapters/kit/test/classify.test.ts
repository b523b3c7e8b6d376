import { expect } from 'chai';
import { ConfigError, PermanentError, TransientError, classifyHttp, classifySmtp, smtpScope } from '@clarion/adapter-kit';

describe('adapter-kit: scopes of HTTP and SMTP failures', () => {
  it('takes an unread 4xx to be about the provider, unless the caller says whose it is', () => {
    expect(classifyHttp(400)).to.be.instanceOf(PermanentError).and.include({ scope: 'provider', code: '400' });
    expect(classifyHttp(422, { scope: 'recipient' })).to.be.instanceOf(PermanentError).and.include({ scope: 'recipient' });
    expect(classifyHttp(403, { scope: 'recipient' })).to.be.instanceOf(ConfigError).and.include({ scope: 'provider' });
    expect(classifyHttp(503, { scope: 'recipient' })).to.be.instanceOf(TransientError).and.include({ scope: 'provider' });
  });

  it('scopes a permanent SMTP reply by its enhanced status code', () => {
    const reply = (response: string, command = 'DATA') => ({ responseCode: Number(response.slice(0, 3)), response, command });
    for (const response of ['550 5.1.1 User unknown', '550 5.1.10 Null MX', '552 5.2.2 Mailbox full', '550 5.2.1 Mailbox disabled', '554 5.4.4 Unable to route']) {
      expect(smtpScope(reply(response)), response).to.equal('recipient');
    }
    for (const response of ['554 5.7.1 Message rejected as spam', '550 5.7.1 Relaying denied', '552 5.3.4 Message too big for system', '554 5.6.0 Content refused', '500 5.5.2 Syntax error']) {
      expect(smtpScope(reply(response)), response).to.equal('provider');
    }
  });

  it('without an enhanced code, takes a refused RCPT TO and the mailbox codes as the recipient\'s', () => {
    expect(smtpScope({ responseCode: 554, response: '554 No thanks', command: 'RCPT TO' })).to.equal('recipient');
    expect(smtpScope({ responseCode: 550, response: '550 Mailbox unavailable', command: 'DATA' })).to.equal('recipient');
    expect(smtpScope({ responseCode: 553, response: '553 Mailbox name not allowed', command: 'DATA' })).to.equal('recipient');
    expect(smtpScope({ responseCode: 554, response: '554 Transaction failed', command: 'DATA' })).to.equal('provider');
  });

  it('classifies nodemailer errors with their scope', () => {
    expect(classifySmtp({ code: 'EENVELOPE', message: 'No recipients defined' })).to.be.instanceOf(PermanentError).and.include({ scope: 'recipient' });
    expect(classifySmtp({ code: 'ETLS', message: 'TLS refused' })).to.be.instanceOf(PermanentError).and.include({ scope: 'provider' });
    expect(classifySmtp({ code: 'EENVELOPE', responseCode: 550, response: '550 5.1.1 User unknown', command: 'RCPT TO', message: 'Recipient refused' })).to.include({ errorClass: 'permanent', scope: 'recipient', code: '550' });
    expect(classifySmtp({ code: 'EMESSAGE', responseCode: 554, response: '554 5.7.1 Spam', command: 'DATA', message: 'Message refused' })).to.include({ errorClass: 'permanent', scope: 'provider' });
    expect(classifySmtp({ code: 'EAUTH', responseCode: 535, message: 'Invalid login' })).to.be.instanceOf(ConfigError);
  });
});

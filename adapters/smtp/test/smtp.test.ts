import type { AddressInfo } from 'node:net';
import { DestinationRefused, createOutboundPolicy } from '@clarion/adapter-kit';
import { describeConformance, sampleMessage, testContext } from '@clarion/adapter-kit/conformance';
import { expect } from 'chai';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import adapter, { type SmtpConfig } from '../src/index.ts';

/** A real SMTP server on loopback whose answers each test chooses. */
class Sink {
  server!: SMTPServer;
  port = 0;
  messages: string[] = [];
  reply: { code: number; message: string } | undefined;
  authReply: 'ok' | 'fail' = 'ok';
  /** Connections the server saw (sessions opened). */
  connections = 0;
  /** Refuse RCPT TO for these addresses with this reply. */
  rcptReplies = new Map<string, { code: number; message: string }>();

  async start() {
    const options: SMTPServerOptions = {
      onConnect: (_session, callback) => {
        this.connections++;
        callback();
      },
      onRcptTo: (address, _session, callback) => {
        const reply = this.rcptReplies.get(address.address);
        callback(reply ? Object.assign(new Error(reply.message), { responseCode: reply.code }) : undefined);
      },
      secure: false,
      disabledCommands: ['STARTTLS'],
      authOptional: true,
      logger: false,
      onAuth: (auth, _session, callback) => (this.authReply === 'ok' && auth.password === 'secret' ? callback(null, { user: auth.username }) : callback(Object.assign(new Error('Invalid credentials'), { responseCode: 535 }))),
      onData: (stream, _session, callback) => {
        let data = '';
        stream.on('data', (chunk) => (data += chunk));
        stream.on('end', () => {
          if (this.reply) return callback(Object.assign(new Error(this.reply.message), { responseCode: this.reply.code }));
          this.messages.push(data);
          callback();
        });
      },
    };
    this.server = new SMTPServer(options);
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as AddressInfo).port;
  }

  stop() {
    return new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const sink = new Sink();
before(() => sink.start());
after(() => sink.stop());

const config = (): SmtpConfig => ({ host: '127.0.0.1', port: sink.port, from: 'Acme <no-reply@acme.example>', user: 'clarion', password: 'secret', timeoutSeconds: 5 });

describe('smtp adapter', () => {
  describeConformance(adapter, {
    get validConfig() {
      return config();
    },
    invalidConfigs: [{ from: 'a@b.c' }, { host: 'x' }, { host: 'x', from: 'a@b.c', port: 'twenty-five' }, { host: 'x', from: 'a@b.c', extra: 1 }],
    message: sampleMessage({ headers: { 'List-Unsubscribe': '<https://clarion.example.com/u/1>' } }),
    success: () => {
      sink.reply = undefined;
      sink.authReply = 'ok';
    },
    checkSuccess: () => {
      const raw = sink.messages.at(-1)!;
      expect(raw).to.match(/^Subject: Hello/m);
      expect(raw).to.match(/^To: Ada Lovelace <ada@example.com>/m);
      expect(raw).to.match(/^List-Unsubscribe: <https:\/\/clarion.example.com\/u\/1>/m);
      expect(raw).to.match(/^Message-ID: <conf-/m);
    },
    failures: [
      { name: 'a 451 reply', errorClass: 'transient', arrange: () => void (sink.reply = { code: 451, message: 'Try again later' }) },
      { name: 'a 550 reply', errorClass: 'permanent', scope: 'recipient', arrange: () => void (sink.reply = { code: 550, message: 'No such user' }) },
      {
        name: 'an unknown mailbox refused at RCPT TO (550 5.1.1)',
        errorClass: 'permanent',
        scope: 'recipient',
        arrange: () => {
          sink.reply = undefined;
          sink.rcptReplies.set('ada@example.com', { code: 550, message: '5.1.1 <ada@example.com>: Recipient address rejected: User unknown' });
          return () => sink.rcptReplies.clear();
        },
      },
      { name: 'a message refused as spam (554 5.7.1)', errorClass: 'permanent', scope: 'provider', arrange: () => void (sink.reply = { code: 554, message: '5.7.1 Message rejected as spam' }) },
      { name: 'a 535 authentication failure', errorClass: 'config', arrange: () => { sink.reply = undefined; sink.authReply = 'fail'; return () => void (sink.authReply = 'ok'); } },
    ],
  });

  it('connects through the operator\'s outbound policy: a strict one refuses a loopback server without connecting', async () => {
    const strict = createOutboundPolicy({});
    const before = sink.connections;
    try {
      const sender = await adapter.create(config(), testContext({ outbound: strict }));
      const err = await sender.send(sampleMessage(), { idempotencyKey: 'strict', signal: new AbortController().signal }).catch((e) => e);
      expect(err).to.be.instanceOf(DestinationRefused);
      expect(err.errorClass).to.equal('config');
      expect(sink.connections).to.equal(before);
      await sender.close?.();
    } finally {
      await strict.close();
    }
  });

  describe('scope of permanent replies', () => {
    const refuse = async (arrange: () => void) => {
      arrange();
      const sender = await adapter.create(config(), testContext());
      try {
        return await sender.send(sampleMessage(), { idempotencyKey: `scope-${Math.random()}`, signal: new AbortController().signal }).catch((e) => e);
      } finally {
        sink.reply = undefined;
        sink.rcptReplies.clear();
        await sender.close?.();
      }
    };

    it('an unknown mailbox refused at RCPT TO is about the recipient', async () => {
      const err = await refuse(() => sink.rcptReplies.set('ada@example.com', { code: 550, message: '5.1.1 <ada@example.com>: Recipient address rejected: User unknown' }));
      expect(err).to.include({ errorClass: 'permanent', scope: 'recipient' });
    });

    it('a full mailbox (5.2.2) and a plain 550 at DATA are about the recipient', async () => {
      expect(await refuse(() => void (sink.reply = { code: 552, message: '5.2.2 Mailbox full' }))).to.include({ errorClass: 'permanent', scope: 'recipient' });
      expect(await refuse(() => void (sink.reply = { code: 550, message: 'Mailbox unavailable' }))).to.include({ errorClass: 'permanent', scope: 'recipient' });
    });

    it('mail refused by the server\'s policy or size limit is about the provider', async () => {
      expect(await refuse(() => void (sink.reply = { code: 554, message: '5.7.1 Message rejected as spam' }))).to.include({ errorClass: 'permanent', scope: 'provider' });
      expect(await refuse(() => void (sink.reply = { code: 552, message: '5.3.4 Message too big for system' }))).to.include({ errorClass: 'permanent', scope: 'provider' });
      expect(await refuse(() => void (sink.reply = { code: 554, message: 'Transaction failed' }))).to.include({ errorClass: 'permanent', scope: 'provider' });
    });
  });

  it('classifies a server that is down as transient', async () => {
    const sender = await adapter.create({ ...config(), port: 1 }, testContext());
    const err = await sender.send(sampleMessage(), { idempotencyKey: 'down', signal: new AbortController().signal }).catch((e) => e);
    expect(err.errorClass).to.equal('transient');
    await sender.close?.();
  });

  it('refuses a message without subject or address as permanent, before talking to the server', async () => {
    const sender = await adapter.create(config(), testContext());
    const noSubject = await sender.send(sampleMessage({ content: { text: 'x' } }), { idempotencyKey: 'a', signal: new AbortController().signal }).catch((e) => e);
    expect(noSubject).to.include({ errorClass: 'permanent', code: 'empty_subject', scope: 'recipient' });
    const noAddress = await sender.send(sampleMessage({ to: { id: 'u' } }), { idempotencyKey: 'b', signal: new AbortController().signal }).catch((e) => e);
    expect(noAddress).to.include({ errorClass: 'permanent', code: 'no_address', scope: 'recipient' });
    await sender.close?.();
  });

  it('verify() reports bad credentials as a config error', async () => {
    const sender = await adapter.create({ ...config(), password: 'wrong' }, testContext());
    const err = await sender.verify!().catch((e) => e);
    expect(err.errorClass).to.equal('config');
    await sender.close?.();
  });
});

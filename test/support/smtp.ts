import { EventEmitter, once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  subject: string;
  text: string;
}

/**
 * A real SMTP server on loopback. Each test decides how it answers the next messages: accept,
 * reply with an SMTP error code, hang, or refuse connections (stopped).
 */
export class SmtpSink extends EventEmitter {
  server: SMTPServer | undefined;
  port = 0;
  received: ReceivedMail[] = [];
  /** Answers for the next messages, consumed in order; when empty, messages are accepted. */
  replies: Array<{ code: number; message: string } | 'hang'> = [];
  password = 'secret';
  /** Every AUTH exchange the server saw, as the client sent it (what a hostile server would learn). */
  auths: Array<{ username: string; password: string }> = [];
  /** Sessions opened (TCP connections that reached the greeting). */
  connections = 0;
  /** Refuse RCPT TO for these addresses with this reply (e.g. 550 5.1.1 for an unknown mailbox). */
  rcptReplies = new Map<string, { code: number; message: string }>();
  #hung: Array<() => void> = [];

  async start(port = 0): Promise<void> {
    this.server = new SMTPServer({
      secure: false,
      disabledCommands: ['STARTTLS'],
      authOptional: true,
      logger: false,
      onConnect: (_session, callback) => {
        this.connections++;
        callback();
      },
      onAuth: (auth, _session, callback) => {
        this.auths.push({ username: auth.username ?? '', password: auth.password ?? '' });
        return auth.password === this.password ? callback(null, { user: auth.username }) : callback(Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 }));
      },
      onRcptTo: (address, _session, callback) => {
        const reply = this.rcptReplies.get(address.address);
        callback(reply ? Object.assign(new Error(reply.message), { responseCode: reply.code }) : undefined);
      },
      onData: (stream, session, callback) => {
        let raw = '';
        stream.on('data', (chunk) => (raw += chunk));
        stream.on('end', () => {
          const reply = this.replies.shift();
          this.emit('data', raw);
          if (reply === 'hang') {
            this.#hung.push(() => callback(Object.assign(new Error('shutting down'), { responseCode: 421 })));
            return;
          }
          if (reply) return callback(Object.assign(new Error(reply.message), { responseCode: reply.code }));
          const mail: ReceivedMail = {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw,
            subject: decodeHeader(/^Subject: (.*(?:\r?\n[ \t].*)*)/m.exec(raw)?.[1] ?? ''),
            text: raw,
          };
          this.received.push(mail);
          this.emit('mail', mail);
          callback();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const release of this.#hung.splice(0)) release();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Resolves with the next mail to `to` (or one already received). */
  async mailTo(to: string): Promise<ReceivedMail> {
    const found = this.received.find((m) => m.to.includes(to));
    if (found) return found;
    for (;;) {
      const [mail] = (await once(this, 'mail')) as [ReceivedMail];
      if (mail.to.includes(to)) return mail;
    }
  }
}

/** Decodes RFC 2047 encoded words (what nodemailer uses for non-ASCII subjects). */
export function decodeHeader(value: string): string {
  return value
    .replace(/\r?\n[ \t]/g, ' ')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=\s*/g, (_, _charset, encoding: string, text: string) =>
      encoding.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_m, h) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8'),
    )
    .trim();
}

/** Decodes a quoted-printable body part. */
export function decodeQuotedPrintable(text: string): string {
  return Buffer.from(text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, h) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
}

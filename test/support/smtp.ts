import { EventEmitter, once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  subject: string;
  text: string;
  /** The Message-ID header, without its angle brackets ('' if none). */
  messageId: string;
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
  /**
   * Accepted messages are answered this long after their data arrived (a slow server); a message
   * counts as received when its 250 is sent, whether the client still waits for it or not, as a
   * real MTA has queued it by then.
   */
  delayMs = 0;
  #hung: Array<{ accept: () => void; refuse: () => void }> = [];
  readonly #closeTimeoutMs: number | undefined;

  /** `closeTimeoutMs`: how long `stop()` lets open connections finish (smtp-server's default: 30 s). */
  constructor(options: { closeTimeoutMs?: number } = {}) {
    super();
    this.#closeTimeoutMs = options.closeTimeoutMs;
  }

  async start(port = 0): Promise<void> {
    this.server = new SMTPServer({
      secure: false,
      disabledCommands: ['STARTTLS'],
      authOptional: true,
      logger: false,
      ...(this.#closeTimeoutMs !== undefined ? { closeTimeout: this.#closeTimeoutMs } : {}),
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
          const accept = () => {
            const mail: ReceivedMail = {
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
              raw,
              subject: decodeHeader(/^Subject: (.*(?:\r?\n[ \t].*)*)/m.exec(raw)?.[1] ?? ''),
              text: raw,
              messageId: /^Message-ID:\s*<?([^>\r\n]*)>?/im.exec(raw)?.[1] ?? '',
            };
            this.received.push(mail);
            this.emit('mail', mail);
            callback();
          };
          const reply = this.replies.shift();
          this.emit('data', raw);
          if (reply) {
            if (reply !== 'hang') return callback(Object.assign(new Error(reply.message), { responseCode: reply.code }));
            this.#hung.push({ refuse: () => callback(Object.assign(new Error('shutting down'), { responseCode: 421 })), accept });
            return;
          }
          if (this.delayMs > 0) setTimeout(accept, this.delayMs);
          else accept();
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
    for (const hung of this.#hung.splice(0)) hung.refuse();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Answers the messages left hanging with 250: they are received now. */
  acceptHung(): void {
    for (const hung of this.#hung.splice(0)) hung.accept();
  }

  /** Answers the messages left hanging with 421 (try again later): they are not received. */
  refuseHung(): void {
    for (const hung of this.#hung.splice(0)) hung.refuse();
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

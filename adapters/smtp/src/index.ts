import { ConfigError, PermanentError, TransientError, classifySmtp, defineAdapter, excerpt } from '@clarion/adapter-kit';
import type { Socket } from 'node:net';
// nodemailer is loaded when the first SMTP sender is created (create()), not with the adapter.

export interface SmtpConfig {
  host: string;
  port?: number;
  /** Implicit TLS (port 465). Otherwise STARTTLS is used when the server offers it. */
  secure?: boolean;
  /** Refuse to send without STARTTLS. */
  requireTls?: boolean;
  user?: string;
  password?: string;
  /** `"Acme <no-reply@acme.example>"` */
  from: string;
  replyTo?: string;
  /** Connections kept open in the pool. */
  maxConnections?: number;
  /** Accept self-signed certificates (test servers only). */
  allowInvalidCertificates?: boolean;
  /** Seconds to wait for the greeting / a socket answer. */
  timeoutSeconds?: number;
}

/**
 * Email through any SMTP server, with a pool of open connections (nodemailer). Replies are
 * classified by their SMTP code: 4xx transient (retried), 5xx permanent, scoped by the enhanced
 * status code (a mailbox that does not exist or is full: the recipient's, fallback channel next;
 * the server's policy, content or size limits: the provider's, next provider), authentication
 * failures (535, 534, 530) configuration errors.
 */
export default defineAdapter<SmtpConfig>({
  name: 'smtp',
  channel: 'email',
  description: 'Email through any SMTP server (pooled connections).',
  configSchema: {
    type: 'object',
    required: ['host', 'from'],
    additionalProperties: false,
    properties: {
      host: { type: 'string', minLength: 1, 'x-outbound': 'host', description: 'SMTP server host name or address (reached through the operator\'s outbound policy).' },
      port: { type: 'integer', minimum: 1, maximum: 65535, default: 587 },
      secure: { type: 'boolean', default: false },
      requireTls: { type: 'boolean', default: false },
      user: { type: 'string' },
      password: { type: 'string', writeOnly: true },
      from: { type: 'string', minLength: 3 },
      replyTo: { type: 'string' },
      maxConnections: { type: 'integer', minimum: 1, maximum: 50, default: 5 },
      allowInvalidCertificates: { type: 'boolean', default: false },
      timeoutSeconds: { type: 'integer', minimum: 1, maximum: 300, default: 30 },
    },
  },
  async create(config, { outbound }) {
    const { default: nodemailer } = await import('nodemailer');
    const timeout = (config.timeoutSeconds ?? 30) * 1000;
    const port = config.port ?? 587;
    const transport = nodemailer.createTransport({
      pool: true,
      // Every connection goes through the operator's outbound policy: the host is resolved, each
      // address checked, and the socket opened to a checked address (TLS still verifies the name).
      getSocket: (_options: unknown, callback: (err: Error | null, socketOptions?: { connection: Socket }) => void) => {
        outbound.connect({ host: config.host, port, timeoutMs: timeout }).then(
          (connection) => callback(null, { connection }),
          (err: Error) => callback(err),
        );
      },
      host: config.host,
      port,
      secure: config.secure ?? false,
      requireTLS: config.requireTls ?? false,
      auth: config.user ? { user: config.user, pass: config.password ?? '' } : undefined,
      maxConnections: config.maxConnections ?? 5,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      tls: { rejectUnauthorized: !config.allowInvalidCertificates },
    });
    return {
      async send(message, { idempotencyKey, signal }) {
        if (signal.aborted) throw new TransientError('the send was aborted before it started', { code: 'aborted' });
        const { to, content } = message;
        // Every e-mail provider reads the same address and rendering: none of them could send these.
        if (!to.email) throw new PermanentError(`subscriber ${to.id} has no email address`, { code: 'no_address', scope: 'recipient' });
        if (!content.subject) throw new PermanentError('the email template rendered no subject', { code: 'empty_subject', scope: 'recipient' });
        if (!content.text && !content.html) throw new PermanentError('the email template rendered no body', { code: 'empty_body', scope: 'recipient' });
        const mail = transport.sendMail({
          from: config.from,
          replyTo: config.replyTo,
          to: to.name ? { name: to.name, address: to.email } : to.email,
          subject: content.subject,
          text: content.text,
          html: content.html,
          headers: message.headers,
          attachments: message.attachments?.map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content })),
          // A stable Message-ID per delivery lets receivers drop a resend after a lost answer.
          messageId: `<${idempotencyKey.replace(/[^A-Za-z0-9.:-]/g, '.')}@clarion>`,
        });
        const aborted = new Promise<never>((_, reject) => {
          signal.addEventListener('abort', () => reject(new TransientError('the SMTP server did not answer in time', { code: 'timeout' })), { once: true });
        });
        try {
          const info = await Promise.race([mail, aborted]);
          if (info.rejected.length > 0 && info.accepted.length === 0) {
            throw new PermanentError(`the server refused ${info.rejected.join(', ')}`, { code: 'rejected', response: excerpt(info.response), scope: 'recipient' });
          }
          return { providerMessageId: info.messageId, status: 'sent', response: excerpt(info.response) };
        } catch (err) {
          mail.catch(() => {});
          throw classifySmtp(err);
        }
      },
      async verify() {
        try {
          await transport.verify();
        } catch (err) {
          const classified = classifySmtp(err);
          throw classified.errorClass === 'config' ? classified : new ConfigError(`cannot talk to ${config.host}: ${classified.message}`, { code: classified.code });
        }
      },
      async close() {
        transport.close();
      },
    };
  },
});

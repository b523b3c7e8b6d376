import { X509Certificate, createVerify } from 'node:crypto';
import { CallbackRejected } from '@clarion/adapter-kit';

/**
 * Amazon SNS message signatures (https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html):
 * the listed fields, name and value on their own lines in this order, signed with the key of the
 * certificate at SigningCertURL (RSA-SHA1 for SignatureVersion 1, RSA-SHA256 for 2).
 */
export interface SnsMessage {
  Type: 'Notification' | 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';
  MessageId: string;
  TopicArn: string;
  Message: string;
  Timestamp: string;
  SignatureVersion: string;
  Signature: string;
  SigningCertURL: string;
  Subject?: string;
  Token?: string;
  SubscribeURL?: string;
  UnsubscribeURL?: string;
}

const NOTIFICATION_FIELDS = ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] as const;
const CONFIRMATION_FIELDS = ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'] as const;

/** Only SNS itself serves signing certificates and subscription links: anything else is forged. */
const SNS_HOST = /^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;

export function isSnsUrl(value: string | undefined): boolean {
  if (!value) return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && SNS_HOST.test(url.hostname);
  } catch {
    return false;
  }
}

export function stringToSign(message: SnsMessage): string {
  const fields = message.Type === 'Notification' ? NOTIFICATION_FIELDS : CONFIRMATION_FIELDS;
  let out = '';
  for (const field of fields) {
    const value = message[field];
    if (value === undefined) continue;
    out += `${field}\n${value}\n`;
  }
  return out;
}

/** Reads an SNS message out of a callback body (SNS posts JSON as text/plain). */
export function readSnsMessage(rawBody: Buffer): SnsMessage | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody.toString('utf8'));
  } catch {
    return undefined;
  }
  const m = parsed as Partial<SnsMessage>;
  if (!m || typeof m !== 'object' || typeof m.Type !== 'string' || typeof m.Signature !== 'string' || typeof m.SigningCertURL !== 'string') return undefined;
  return m as SnsMessage;
}

/** Signing certificates by URL: SNS rotates them rarely, and every message names its own. */
const certificates = new Map<string, Promise<X509Certificate>>();

async function certificate(url: string, fetchImpl: typeof fetch): Promise<X509Certificate> {
  let pending = certificates.get(url);
  if (!pending) {
    pending = (async () => {
      const res = await fetchImpl(url, { redirect: 'manual', signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`fetching the SNS signing certificate answered HTTP ${res.status}`);
      return new X509Certificate(await res.text());
    })();
    certificates.set(url, pending);
    pending.catch(() => certificates.delete(url));
  }
  return pending;
}

/**
 * Verifies an SNS message: the certificate comes from SNS, is valid now, and its key signed the
 * message. Throws CallbackRejected(403) otherwise.
 */
export async function verifySnsMessage(message: SnsMessage, fetchImpl: typeof fetch, now: Date = new Date()): Promise<void> {
  if (!isSnsUrl(message.SigningCertURL) || !new URL(message.SigningCertURL).pathname.endsWith('.pem')) {
    throw new CallbackRejected(403, 'the SNS signing certificate is not served by SNS');
  }
  const algorithm = message.SignatureVersion === '1' ? 'RSA-SHA1' : message.SignatureVersion === '2' ? 'RSA-SHA256' : undefined;
  if (!algorithm) throw new CallbackRejected(403, `unknown SNS SignatureVersion ${message.SignatureVersion}`);
  let cert: X509Certificate;
  try {
    cert = await certificate(message.SigningCertURL, fetchImpl);
  } catch (err) {
    throw new CallbackRejected(403, `cannot obtain the SNS signing certificate: ${(err as Error).message}`);
  }
  if (now < new Date(cert.validFrom) || now > new Date(cert.validTo)) throw new CallbackRejected(403, 'the SNS signing certificate is not valid now');
  const verifier = createVerify(algorithm);
  verifier.update(stringToSign(message), 'utf8');
  let valid = false;
  try {
    valid = verifier.verify(cert.publicKey, message.Signature, 'base64');
  } catch {
    valid = false;
  }
  if (!valid) throw new CallbackRejected(403, 'the SNS message signature does not verify');
}

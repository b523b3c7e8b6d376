import { PermanentError, defineAdapter, smsKeyword, smsSegments, toE164 } from '@clarion/adapter-kit';
import type { CallbackResult, ErrorCodeTable, ReceiptStatus, StatusUpdate } from '@clarion/adapter-kit';
import { assertNotAborted, loadTwilio, classifyTwilio, credentialDependencies, credentialProperties, twilioClient, verifyTwilioAccount, verifyTwilioCallback } from '@clarion/twilio-shared';
import type { TwilioCredentials } from '@clarion/twilio-shared';

export interface TwilioSmsConfig extends TwilioCredentials {
  /** The sender: a Twilio number in E.164, a short code or an alphanumeric sender id. Required unless `messagingServiceSid` is set. */
  from?: string;
  /** A Messaging Service (MG…) whose sender pool Twilio picks from. Required unless `from` is set. */
  messagingServiceSid?: string;
}

const configSchema = {
  type: 'object',
  required: ['accountSid', 'authToken'],
  additionalProperties: false,
  properties: {
    ...credentialProperties,
    from: {
      type: 'string',
      pattern: '^(\\+[1-9][0-9]{6,14}|[0-9]{5,6}|(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11})$',
      description: 'Sender: a Twilio number in E.164 (+14155550100), a short code, or an alphanumeric sender id (up to 11 letters/digits).',
    },
    messagingServiceSid: { type: 'string', pattern: '^MG[0-9a-fA-F]{32}$', description: 'Messaging Service SID (MG…) to send from its sender pool instead of one number.' },
  },
  anyOf: [{ required: ['from'] }, { required: ['messagingServiceSid'] }],
  dependentRequired: credentialDependencies,
};

/**
 * SMS-specific codes of the Messages API (https://www.twilio.com/docs/api/errors). A permanent
 * code is about the recipient when no SMS provider could deliver to the number (or must not: an
 * opt-out), about the provider when it is Twilio's own limit or this sender's reach.
 */
const SMS_CODES: ErrorCodeTable = {
  '21212': 'config', // Invalid 'From' number
  '21265': 'recipient', // 'To' number is a short code: not a person's phone
  '21266': 'provider', // 'To' and 'From' are the same number: another sender can reach it
  '21408': 'config', // SMS to the 'To' number's region is not enabled (geo permissions)
  '21602': 'recipient', // Message body is required: the template rendered nothing
  '21603': 'config', // 'From' number is required
  '21604': 'recipient', // 'To' number is required
  '21606': 'config', // 'From' is not a message-capable Twilio number for this destination
  '21609': 'config', // Invalid StatusCallback URL
  '21610': 'recipient', // The recipient replied STOP to this sender: no other provider may send either
  '21611': 'transient', // The 'From' number has too many queued messages
  '21612': 'provider', // Twilio cannot connect this 'From' and 'To' (routing, sender capability): another provider may
  '21614': 'recipient', // 'To' is not a mobile number (a landline or an invalid number)
  '21617': 'provider', // Body exceeds Twilio's 1600 characters
  '21635': 'recipient', // 'To' is a landline
  '21659': 'config', // 'From' is not a Twilio number or alphanumeric sender id of the account
  '21660': 'config', // 'From' belongs to another account
  '21703': 'config', // The Messaging Service has no number available for this message
  '21704': 'config', // The Messaging Service contains no phone numbers
  '21705': 'config', // The Messaging Service is invalid
  '30001': 'transient', // Queue overflow
  '30002': 'config', // Account suspended
};

/** What the codes of failed/undelivered status callbacks mean (https://www.twilio.com/docs/api/errors). */
const DELIVERY_ERRORS: Record<string, string> = {
  '21610': 'the recipient replied STOP to this sender',
  '30001': 'queue overflow',
  '30002': 'account suspended',
  '30003': 'unreachable destination handset',
  '30004': 'message blocked',
  '30005': 'unknown destination handset',
  '30006': 'landline or unreachable carrier',
  '30007': 'message filtered by the carrier',
  '30008': 'unknown error',
  '30009': 'missing segment',
  '30010': 'message price exceeds max price',
};

const STATUSES: Record<string, ReceiptStatus> = {
  sent: 'sent',
  delivered: 'delivered',
  undelivered: 'undelivered',
  failed: 'failed',
  canceled: 'failed',
  read: 'read',
};

function statusUpdate(fields: Record<string, string>): StatusUpdate | undefined {
  const status = STATUSES[fields.MessageStatus];
  const providerMessageId = fields.MessageSid ?? fields.SmsSid;
  if (!status || !providerMessageId) return undefined;
  const errorCode = fields.ErrorCode || undefined;
  return {
    providerMessageId,
    status,
    ...(errorCode ? { errorCode, errorMessage: fields.ErrorMessage || DELIVERY_ERRORS[errorCode] || `Twilio error ${errorCode}` } : {}),
  };
}

/** Twilio's `price` (a charge, written negative: "-0.00750") in `price_unit`, once it is known; often not yet in the create answer. */
function twilioPrice(price: string | null | undefined, unit: string | null | undefined): { price?: { amount: number; currency: string } } {
  const amount = Math.abs(Number(price));
  if (price === null || price === undefined || price === '' || !Number.isFinite(amount) || !unit || !/^[a-z]{3}$/i.test(unit)) return {};
  return { price: { amount, currency: unit.toUpperCase() } };
}

/** Media files Twilio takes in one message (https://www.twilio.com/docs/api/errors/21623). */
const MAX_MEDIA = 10;


export default defineAdapter<TwilioSmsConfig>({
  name: 'twilio-sms',
  channel: 'sms',
  description: 'SMS through the Twilio Messages API, with status callbacks and STOP/START/ACK replies.',
  configSchema,
  async create(config, context) {
    // The SDK is loaded with the first sender, not with the adapter (@clarion/twilio-shared).
    const twilio = await loadTwilio();
    const EMPTY_TWIML = new twilio.twiml.MessagingResponse().toString();
    return {
      async send(message, { signal }) {
        assertNotAborted(signal);
        const to = toE164(message.to.phone);
        const body = message.content.text ?? message.content.body ?? '';
        if (body.trim() === '') throw new PermanentError('the SMS template rendered no text', { code: 'empty_message', scope: 'recipient' });
        const segments = smsSegments(body);
        const { client, http } = twilioClient(config, context.fetch, signal);
        // The event's files as MMS media (MediaUrl, at most 10 a message): Twilio fetches Clarion's signed links.
        const media = (message.media ?? []).slice(0, MAX_MEDIA);
        try {
          const created = await client.messages.create({
            to,
            body,
            ...(media.length > 0 ? { mediaUrl: media.map((m) => m.url) } : {}),
            ...(config.from ? { from: config.from } : {}),
            ...(config.messagingServiceSid ? { messagingServiceSid: config.messagingServiceSid } : {}),
            statusCallback: context.callbackUrl,
          });
          return {
            providerMessageId: created.sid,
            status: 'sent',
            details: { to, segments: segments.segments, encoding: segments.encoding, units: segments.units, twilioStatus: created.status, ...(media.length > 0 ? { media: media.map((m) => m.filename) } : {}) },
            ...twilioPrice(created.price, created.priceUnit),
          };
        } catch (err) {
          throw classifyTwilio(err, SMS_CODES, http.retryAfter);
        }
      },

      async verify() {
        await verifyTwilioAccount(config, context.fetch, SMS_CODES);
      },

      async parseCallback(request): Promise<CallbackResult> {
        const fields = verifyTwilioCallback(request, config);
        if (fields.MessageStatus !== undefined) {
          const update = statusUpdate(fields);
          return { updates: update ? [update] : [] };
        }
        if (fields.Body !== undefined && fields.From) {
          // An incoming SMS (the number's "A message comes in" webhook points here). Twilio's own
          // opt-out handling answers STOP; Clarion records what the reply means and answers nothing.
          return {
            inbound: [{ channel: 'sms', from: fields.From, text: fields.Body, keyword: smsKeyword(fields.Body), providerMessageId: fields.MessageSid }],
            response: { status: 200, contentType: 'text/xml', body: EMPTY_TWIML },
          };
        }
        return {};
      },
    };
  },
});

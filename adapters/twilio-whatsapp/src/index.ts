import { ConfigError, PermanentError, defineAdapter, smsKeyword, toE164 } from '@clarion/adapter-kit';
import type { CallbackResult, ErrorCodeTable, OutboundMessage, ReceiptStatus, StatusUpdate } from '@clarion/adapter-kit';
import { assertNotAborted, loadTwilio, classifyTwilio, credentialDependencies, credentialProperties, twilioClient, verifyTwilioAccount, verifyTwilioCallback } from '@clarion/twilio-shared';
import type { TwilioCredentials } from '@clarion/twilio-shared';

export interface TwilioWhatsAppConfig extends TwilioCredentials {
  /** The WhatsApp sender registered with Twilio, in E.164 (`whatsapp:` prefix optional). Required unless `messagingServiceSid` is set. */
  from?: string;
  /** A Messaging Service (MG…) holding the WhatsApp sender. Required unless `from` is set. */
  messagingServiceSid?: string;
}

const configSchema = {
  type: 'object',
  required: ['accountSid', 'authToken'],
  additionalProperties: false,
  properties: {
    ...credentialProperties,
    from: { type: 'string', pattern: '^(whatsapp:)?\\+[1-9][0-9]{6,14}$', description: 'WhatsApp sender number in E.164, e.g. +14155238886 (the whatsapp: prefix is added).' },
    messagingServiceSid: { type: 'string', pattern: '^MG[0-9a-fA-F]{32}$', description: 'Messaging Service SID (MG…) with the WhatsApp sender in its pool.' },
  },
  anyOf: [{ required: ['from'] }, { required: ['messagingServiceSid'] }],
  dependentRequired: credentialDependencies,
};

/**
 * WhatsApp codes of the Messages API (https://www.twilio.com/docs/api/errors, https://www.twilio.com/docs/whatsapp/api/error-code-mapping).
 * A permanent code is about the recipient when WhatsApp itself will not take this message for this
 * person through any sender (not on WhatsApp, opted out, Meta's per-user decisions), about the
 * provider when it is this sender, its templates or Twilio's handling of the content.
 */
const WHATSAPP_CODES: ErrorCodeTable = {
  '21606': 'config', // 'From' is not a message-capable sender of this account
  '21610': 'recipient', // The recipient opted out of this sender: no other provider may send either
  '21612': 'provider', // 'To' cannot be reached from this sender
  '21655': 'config', // The ContentSid is invalid
  '21656': 'recipient', // The ContentVariables are invalid: a variable rendered empty for this message
  '21703': 'config', // The Messaging Service has no sender available
  '21704': 'config', // The Messaging Service contains no senders
  '21705': 'config', // The Messaging Service is invalid
  '30001': 'transient', // Queue overflow
  '63001': 'config', // The channel could not authenticate the request
  '63003': 'recipient', // The channel could not find the 'To' address (not a WhatsApp user)
  '63005': 'provider', // The channel did not accept the content (WhatsApp 1000)
  '63007': 'config', // No WhatsApp sender (channel) for the 'From' address, or it awaits approval
  '63012': 'transient', // The channel provider had an internal error
  '63013': 'provider', // The message violates the channel's policy
  '63016': 'recipient', // Free-form message outside the user's 24-hour window: the fallback channel, or an approved template
  '63018': 'transient', // Rate limit exceeded for the channel
  '63020': 'config', // WhatsApp Business Manager account problem
  '63021': 'provider', // Content rejected or unsupported by the channel (media type, a template over 1024 characters)
  '63024': 'recipient', // Invalid message recipient (WhatsApp 1002, 1026: the number cannot receive it)
  '63027': 'config', // The template does not exist for this language and locale
  '63028': 'config', // The template expects another number of variables
  '63030': 'provider', // A parameter the channel does not support for this message type
  '63032': 'recipient', // The user's number is part of a WhatsApp experiment: Meta withholds it on every sender
  '63049': 'recipient', // Meta chose not to deliver this marketing message to this user (on every sender)
};

const DELIVERY_ERRORS: Record<string, string> = {
  '63003': 'the recipient is not reachable on WhatsApp',
  '63016': 'outside the 24-hour window: send an approved template',
  '63018': 'WhatsApp rate limit for the sender',
  '63024': 'invalid message recipient',
  '63032': "the recipient's number is part of a WhatsApp experiment",
  '63049': 'Meta chose not to deliver this marketing message',
};

const STATUSES: Record<string, ReceiptStatus> = {
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  undelivered: 'undelivered',
  failed: 'failed',
  canceled: 'failed',
};

const CONTENT_SID = /^HX[0-9a-fA-F]{32}$/;

/** The message body: free text, or an approved Content template with its variables numbered from 1. */
function content(message: OutboundMessage): { body: string } | { contentSid: string; contentVariables?: string } {
  const template = message.content.template;
  if (template) {
    if (!template.contentSid) {
      throw new ConfigError(`the WhatsApp template "${template.name}" has no contentSid: twilio-whatsapp sends approved Content templates by their SID (HX…)`, { code: 'template_without_content_sid' });
    }
    if (!CONTENT_SID.test(template.contentSid)) throw new ConfigError(`"${template.contentSid}" is not a Content SID (HX followed by 32 hex digits)`, { code: 'invalid_content_sid' });
    const variables = template.variables ?? [];
    return {
      contentSid: template.contentSid,
      ...(variables.length > 0 ? { contentVariables: JSON.stringify(Object.fromEntries(variables.map((value, i) => [String(i + 1), value]))) } : {}),
    };
  }
  const body = message.content.text ?? message.content.body ?? '';
  if (body.trim() === '') throw new PermanentError('the WhatsApp template rendered no text', { code: 'empty_message', scope: 'recipient' });
  return { body };
}

const withPrefix = (address: string) => (address.startsWith('whatsapp:') ? address : `whatsapp:${address}`);
const withoutPrefix = (address: string) => address.replace(/^whatsapp:/, '');

function statusUpdate(fields: Record<string, string>): StatusUpdate | undefined {
  const status = STATUSES[fields.MessageStatus];
  if (!status || !fields.MessageSid) return undefined;
  const errorCode = fields.ErrorCode || undefined;
  return {
    providerMessageId: fields.MessageSid,
    status,
    ...(errorCode ? { errorCode, errorMessage: fields.ErrorMessage || DELIVERY_ERRORS[errorCode] || `Twilio error ${errorCode}` } : {}),
  };
}


export default defineAdapter<TwilioWhatsAppConfig>({
  name: 'twilio-whatsapp',
  channel: 'whatsapp',
  description: 'WhatsApp through the Twilio Messages API: free text in the 24-hour window, approved Content templates outside it.',
  configSchema,
  async create(config, context) {
    // The SDK is loaded with the first sender, not with the adapter (@clarion/twilio-shared).
    const twilio = await loadTwilio();
    const EMPTY_TWIML = new twilio.twiml.MessagingResponse().toString();
    return {
      async send(message, { signal }) {
        assertNotAborted(signal);
        const to = withPrefix(toE164(message.to.phone));
        const body = content(message);
        const { client, http } = twilioClient(config, context.fetch, signal);
        try {
          // A free-text message carries the event's first file (MediaUrl: one a WhatsApp message); an
          // approved Content template has its own media.
          const media = 'body' in body ? message.media?.[0] : undefined;
          const created = await client.messages.create({
            to,
            ...body,
            ...(media ? { mediaUrl: [media.url] } : {}),
            ...(config.from ? { from: withPrefix(config.from) } : {}),
            ...(config.messagingServiceSid ? { messagingServiceSid: config.messagingServiceSid } : {}),
            statusCallback: context.callbackUrl,
          });
          return {
            providerMessageId: created.sid,
            status: 'sent',
            details: { to, kind: 'contentSid' in body ? 'template' : 'text', ...('contentSid' in body ? { contentSid: body.contentSid } : {}), ...(media ? { media: media.filename } : {}), twilioStatus: created.status },
          };
        } catch (err) {
          throw classifyTwilio(err, WHATSAPP_CODES, http.retryAfter);
        }
      },

      async verify() {
        await verifyTwilioAccount(config, context.fetch, WHATSAPP_CODES);
      },

      async parseCallback(request): Promise<CallbackResult> {
        const fields = verifyTwilioCallback(request, config);
        if (fields.MessageStatus !== undefined) {
          const update = statusUpdate(fields);
          return { updates: update ? [update] : [] };
        }
        if (fields.Body !== undefined && fields.From) {
          // A WhatsApp reply (the sender's incoming-message webhook points here); quick-reply
          // buttons arrive with their text in Body.
          return {
            inbound: [{ channel: 'whatsapp', from: withoutPrefix(fields.From), text: fields.Body, keyword: smsKeyword(fields.Body), providerMessageId: fields.MessageSid }],
            response: { status: 200, contentType: 'text/xml', body: EMPTY_TWIML },
          };
        }
        return {};
      },
    };
  },
});

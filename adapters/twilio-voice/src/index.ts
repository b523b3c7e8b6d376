import { ConfigError, DeliveryError, PermanentError, defineAdapter, toE164 } from '@clarion/adapter-kit';
import type { CallbackResult, ErrorCodeTable, StatusUpdate } from '@clarion/adapter-kit';
import { assertNotAborted, loadTwilio, classifyTwilio, credentialDependencies, credentialProperties, twilioClient, verifyTwilioCallback } from '@clarion/twilio-shared';
import type { TwilioCredentials } from '@clarion/twilio-shared';
import { SAY_LANGUAGES, acknowledgedTwiml, callTwiml, promptsFor, retryTwiml, sayLanguage, speechFor } from './speech.ts';
import type { Prompts } from './speech.ts';

export { sayLanguage } from './speech.ts';

export interface TwilioVoiceConfig extends TwilioCredentials {
  /** Caller id: a Twilio number of the account or a verified caller id, in E.164. */
  from: string;
  /** Voice for every language (`Polly.Joanna`, `Google.en-US-Neural2-C`). Default: `Google.<language>-Standard-A`. */
  voice?: string;
  /** Voices per language (`fr`) or language code (`fr-CA`), preferred over `voice`. */
  voices?: Record<string, string>;
  /** Twilio language used when the message's locale has no Twilio voice. Default: en-US. */
  fallbackLanguage?: string;
  /** Prompts per language or language code, over the built-in en/fr/de/es ones. */
  prompts?: Record<string, Partial<Prompts>>;
  /** Seconds the phone rings before Twilio gives up (`Timeout`). Default: Twilio's, 60. */
  ringTimeout?: number;
  /** Times the message and the prompt are spoken while no key is pressed. Default: 2. */
  repeat?: number;
  /** Seconds to wait for a key after each prompt. Default: 5. */
  gatherTimeout?: number;
}

const LANGUAGE_KEY = '^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$';
const promptSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    acknowledge: { type: 'string', minLength: 1, description: 'How to acknowledge, spoken after the message (e.g. "Press 1 to acknowledge this message.").' },
    acknowledged: { type: 'string', minLength: 1, description: 'Spoken after 1 was pressed and the acknowledgement recorded.' },
    alreadyAcknowledged: { type: 'string', minLength: 1, description: 'Spoken after 1 was pressed when the message was acknowledged already.' },
    nothingToAcknowledge: { type: 'string', minLength: 1, description: 'Spoken after 1 was pressed when nothing could be acknowledged.' },
    noInput: { type: 'string', minLength: 1, description: 'Spoken when no key was pressed.' },
    invalidKey: { type: 'string', minLength: 1, description: 'Spoken when another key was pressed.' },
  },
};

const configSchema = {
  type: 'object',
  required: ['accountSid', 'authToken', 'from'],
  additionalProperties: false,
  properties: {
    ...credentialProperties,
    from: { type: 'string', pattern: '^\\+[1-9][0-9]{6,14}$', description: 'Caller id in E.164: a Twilio number of the account or a verified caller id.' },
    voice: { type: 'string', minLength: 1, maxLength: 100, description: 'Voice for every language, e.g. Polly.Joanna. Default: Google.<language>-Standard-A.' },
    voices: {
      type: 'object',
      propertyNames: { pattern: LANGUAGE_KEY },
      additionalProperties: { type: 'string', minLength: 1, maxLength: 100 },
      description: 'Voices per language or language code, e.g. {"fr": "Polly.Lea", "en-GB": "Polly.Amy"}.',
    },
    fallbackLanguage: { type: 'string', enum: [...SAY_LANGUAGES], default: 'en-US', description: 'Language used when the locale has no Twilio voice.' },
    prompts: { type: 'object', propertyNames: { pattern: LANGUAGE_KEY }, additionalProperties: promptSchema, description: 'Prompts per language, over the built-in en/fr/de/es ones.' },
    ringTimeout: { type: 'integer', minimum: 5, maximum: 600, description: 'Seconds the phone rings. Default: 60.' },
    repeat: { type: 'integer', minimum: 1, maximum: 5, default: 2, description: 'Times the message is spoken while no key is pressed.' },
    gatherTimeout: { type: 'integer', minimum: 1, maximum: 60, default: 5, description: 'Seconds to wait for a key after each prompt.' },
  },
  dependentRequired: credentialDependencies,
};

/**
 * Voice codes of the Calls API (https://www.twilio.com/docs/api/errors). A permanent code is about
 * the recipient when the number itself cannot be called, about the provider when Twilio blocks it
 * (fraud lists, regulation, the account's profile): another voice provider may place the call.
 */
const VOICE_CODES: ErrorCodeTable = {
  '13223': 'recipient', // Invalid phone number format
  '13224': 'recipient', // The number is invalid or not in service (also given, rarely, when no Twilio carrier can route it)
  '13225': 'provider', // Forbidden phone number: on Twilio's or the account's blocked list (fraud risk, premium)
  '13226': 'recipient', // Invalid country code
  '13227': 'config', // No international authorization (geo permissions)
  '21205': 'config', // Invalid URL (status callback)
  '21208': 'config', // Invalid Timeout
  '21210': 'config', // 'From' is not a verified caller id or number of the account
  '21212': 'config', // Invalid caller id
  '21213': 'config', // Caller id is required
  '21214': 'recipient', // 'To' cannot be reached
  '21215': 'config', // Geo permissions do not allow calls to this destination
  '21216': 'provider', // Call blocked by Twilio (high fraud risk, regulation, no Primary Customer Profile)
  '21217': 'recipient', // The number does not appear to be valid
};

/** Twilio refuses inline TwiML longer than this (Calls API `Twiml` parameter). */
const MAX_TWIML = 4000;

const CALL_OUTCOMES: Record<string, { status: StatusUpdate['status']; errorMessage?: string }> = {
  completed: { status: 'delivered' },
  busy: { status: 'undelivered', errorMessage: 'the line was busy' },
  'no-answer': { status: 'undelivered', errorMessage: 'nobody answered' },
  failed: { status: 'undelivered', errorMessage: 'the call could not be placed' },
  canceled: { status: 'undelivered', errorMessage: 'the call was canceled before it was answered' },
};

function callUpdate(fields: Record<string, string>): StatusUpdate | undefined {
  const outcome = CALL_OUTCOMES[fields.CallStatus];
  if (!outcome || !fields.CallSid) return undefined;
  const at = fields.Timestamp ? new Date(fields.Timestamp) : undefined;
  const sip = fields.SipResponseCode ? ` (SIP ${fields.SipResponseCode})` : '';
  // CallDuration (seconds) comes with the completed event: what the call is billed on.
  const duration = fields.CallStatus === 'completed' && /^\d{1,7}$/.test(fields.CallDuration ?? '') ? Number(fields.CallDuration) : undefined;
  return {
    providerMessageId: fields.CallSid,
    status: outcome.status,
    ...(at && !Number.isNaN(at.getTime()) ? { at } : {}),
    ...(duration !== undefined ? { durationSeconds: duration } : {}),
    ...(outcome.errorMessage ? { errorCode: fields.ErrorCode || fields.CallStatus, errorMessage: `${outcome.errorMessage}${sip}` } : {}),
  };
}

function withQuery(base: string, params: Record<string, string>): string {
  const url = new URL(base);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url.href;
}

export default defineAdapter<TwilioVoiceConfig>({
  name: 'twilio-voice',
  channel: 'voice',
  description: 'Phone calls through the Twilio Calls API: the message spoken in the subscriber\'s language, "press 1" acknowledges it.',
  configSchema,
  async create(config, context) {
    // The SDK is loaded with the first sender, not with the adapter (@clarion/twilio-shared).
    await loadTwilio();
    const options = { voice: config.voice, voices: config.voices, prompts: config.prompts };
    const fallbackLanguage = config.fallbackLanguage ?? 'en-US';
    const gatherTimeout = config.gatherTimeout ?? 5;

    return {
      async send(message, { signal }) {
        assertNotAborted(signal);
        const to = toE164(message.to.phone);
        const text = message.content.text ?? message.content.body ?? '';
        if (text.trim() === '') throw new PermanentError('the voice template rendered no text', { code: 'empty_message', scope: 'recipient' });
        const locale = message.locale || message.to.locale;
        let language = sayLanguage(locale);
        if (!language) {
          context.log.warn({ locale, fallbackLanguage }, 'twilio-voice: no Twilio voice for this locale, speaking the fallback language');
          language = fallbackLanguage;
        }
        const speech = speechFor(language, options);
        const prompt = promptsFor(language, options);
        const action = withQuery(context.callbackUrl, { kind: 'gather', notification: message.notificationId, lang: language });
        // Long messages are spoken once rather than refused while one repetition still fits.
        let repeat = config.repeat ?? 2;
        let twiml = callTwiml(text, speech, prompt, action, repeat, gatherTimeout);
        while (twiml.length > MAX_TWIML && repeat > 1) twiml = callTwiml(text, speech, prompt, action, --repeat, gatherTimeout);
        if (twiml.length > MAX_TWIML) {
          // Twilio's own limit on inline TwiML: another voice provider may speak it.
          throw new PermanentError(`the message is too long to be spoken in one call (${twiml.length} characters of TwiML, Twilio takes ${MAX_TWIML})`, { code: 'twiml_too_long', scope: 'provider' });
        }
        const { client, http } = twilioClient(config, context.fetch, signal);
        try {
          const call = await client.calls.create({
            to,
            from: config.from,
            twiml,
            statusCallback: withQuery(context.callbackUrl, { kind: 'status' }),
            statusCallbackMethod: 'POST',
            statusCallbackEvent: ['completed'],
            ...(config.ringTimeout ? { timeout: config.ringTimeout } : {}),
          });
          return { providerMessageId: call.sid, status: 'sent', details: { to, language, voice: speech.voice, repeat, twilioStatus: call.status } };
        } catch (err) {
          throw classifyTwilio(err, VOICE_CODES, http.retryAfter);
        }
      },

      async verify() {
        const { client, http } = twilioClient(config, context.fetch);
        try {
          const account = await client.api.v2010.accounts(config.accountSid).fetch();
          if (account.status !== 'active') throw new ConfigError(`the Twilio account is ${account.status}`, { code: '20005' });
        } catch (err) {
          if (err instanceof DeliveryError) throw err;
          throw classifyTwilio(err, VOICE_CODES, http.retryAfter);
        }
      },

      async parseCallback(request): Promise<CallbackResult> {
        const fields = verifyTwilioCallback(request, config);
        // The query string is part of what Twilio signed, so kind/notification/lang can be trusted.
        const query = new URL(request.url).searchParams;
        if (query.get('kind') === 'gather') {
          const language = sayLanguage(query.get('lang') ?? undefined) ?? fallbackLanguage;
          const prompt = promptsFor(language, options);
          const notification = query.get('notification');
          const digits = fields.Digits ?? '';
          if (digits === '1' && notification) {
            // What the caller hears depends on what the engine could do with the keypress.
            return {
              acknowledgements: [notification],
              response: (applied) => ({
                status: 200,
                contentType: 'text/xml',
                body: acknowledgedTwiml(prompt, applied.acknowledged.includes(notification) ? 'acknowledged' : applied.alreadyAcknowledged.includes(notification) ? 'alreadyAcknowledged' : 'nothingToAcknowledge'),
              }),
            };
          }
          return { response: { status: 200, contentType: 'text/xml', body: retryTwiml(prompt, request.url, gatherTimeout, digits !== '') } };
        }
        if (fields.CallStatus !== undefined) {
          const update = callUpdate(fields);
          return { updates: update ? [update] : [] };
        }
        return {};
      },
    };
  },
});

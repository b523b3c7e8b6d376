import { expect } from 'chai';
import nock from 'nock';
import twilio from 'twilio';
import { CallbackRejected, ConfigError, PermanentError } from '@clarion/adapter-kit';
import type { CallbackApplied, CallbackRequest, CallbackResponse, CallbackResult, DeliveryError, OutboundMessage, Sender } from '@clarion/adapter-kit';
import { describeConformance, sampleMessage, testContext } from '@clarion/adapter-kit/conformance';
import adapter, { sayLanguage } from '../src/index.ts';
import type { TwilioVoiceConfig } from '../src/index.ts';

const ACCOUNT = `AC${'7b'.repeat(16)}`;
const TOKEN = '99aa88bb77cc66dd55ee44ff33aa22bb';
const config: TwilioVoiceConfig = { accountSid: ACCOUNT, authToken: TOKEN, from: '+15005550006' };
const CALLS = `/2010-04-01/Accounts/${ACCOUNT}/Calls.json`;
const context = testContext();
const NOTIFICATION = '00000000-0000-4000-8000-0000000000a1';
const message = sampleMessage({ channel: 'voice', locale: 'en', content: { text: 'The database cluster eu-1 is down.' } });
const callSid = (n: number) => `CA${String(n).padStart(32, '0')}`;
const gatherUrl = (lang: string) => `${context.callbackUrl}?kind=gather&notification=${NOTIFICATION}&lang=${lang}`;

/** The Call resource Twilio answers a create with (https://www.twilio.com/docs/voice/api/call-resource). */
const callResource = (sid: string) => ({
  account_sid: ACCOUNT,
  api_version: '2010-04-01',
  direction: 'outbound-api',
  from: '+15005550006',
  to: '+14155550100',
  sid,
  status: 'queued',
  uri: `/2010-04-01/Accounts/${ACCOUNT}/Calls/${sid}.json`,
});
const twilioError = (status: number, code: number, text: string) => ({ code, message: text, more_info: `https://www.twilio.com/docs/errors/${code}`, status });
const twilioApi = () => nock('https://api.twilio.com');
const failWith = (status: number, body: object) => () => {
  twilioApi().post(CALLS).reply(status, body);
  return () => nock.cleanAll();
};

/** Captures what was posted to the Calls API. */
function captureCall(sid = callSid(1)): { scope: nock.Scope; posted: () => Record<string, string | string[]> } {
  let posted: Record<string, string | string[]> = {};
  const scope = twilioApi()
    .post(CALLS, (body) => {
      posted = body;
      return true;
    })
    .reply(201, callResource(sid));
  return { scope, posted: () => posted };
}

async function sendAndCatch(sender: Sender, msg: OutboundMessage): Promise<DeliveryError> {
  try {
    await sender.send(msg, { idempotencyKey: 'k', signal: new AbortController().signal });
  } catch (err) {
    return err as DeliveryError;
  }
  throw new Error('send should have failed');
}

function twilioCallback(url: string, fields: Record<string, string>, options: { token?: string; signature?: string | null } = {}): CallbackRequest {
  const signature = options.signature === undefined ? twilio.getExpectedTwilioSignature(options.token ?? TOKEN, url, fields) : options.signature;
  return {
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(signature === null ? {} : { 'X-Twilio-Signature': signature }) },
    query: Object.fromEntries(new URL(url).searchParams),
    rawBody: Buffer.from(new URLSearchParams(fields).toString()),
    body: fields,
  };
}

const callFields = (extra: Record<string, string>) => ({
  AccountSid: ACCOUNT,
  ApiVersion: '2010-04-01',
  CallSid: callSid(1),
  Direction: 'outbound-api',
  From: '+15005550006',
  To: '+14155550100',
  ...extra,
});

/** The adapter's answer to a callback, once the engine applied it. */
function answer(result: CallbackResult, applied: CallbackApplied = { acknowledged: [], alreadyAcknowledged: [], unknown: [] }): CallbackResponse {
  return (typeof result.response === 'function' ? result.response(applied) : result.response) ?? {};
}

describe('twilio-voice adapter', () => {
  before(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());
  after(() => nock.enableNetConnect());

  describeConformance(adapter, {
    validConfig: config,
    invalidConfigs: [
      {},
      { accountSid: ACCOUNT, authToken: TOKEN },
      { ...config, from: 'Clarion' },
      { ...config, ringTimeout: 2 },
      { ...config, repeat: 0 },
      { ...config, fallbackLanguage: 'xx-XX' },
      { ...config, voices: { 'not a language': 'Polly.Lea' } },
      { ...config, prompts: { fr: { acknowledge: 'Appuyez sur 1', unknown: 'x' } } },
    ],
    message,
    success: () => {
      twilioApi()
        .post(CALLS, (body) =>
          body.To === '+14155550100'
          && body.From === '+15005550006'
          && body.StatusCallback === `${context.callbackUrl}?kind=status`
          && body.StatusCallbackEvent === 'completed'
          && typeof body.Twiml === 'string' && body.Twiml.includes('The database cluster eu-1 is down.'))
        .basicAuth({ user: ACCOUNT, pass: TOKEN })
        .reply(201, callResource(callSid(1)));
      return () => nock.cleanAll();
    },
    checkSuccess: (result) => {
      expect(result.providerMessageId).to.equal(callSid(1));
      expect(result.details).to.include({ language: 'en-US', voice: 'Google.en-US-Standard-A', repeat: 2 });
    },
    failures: [
      { name: "an invalid 'To' number (21211)", errorClass: 'permanent', scope: 'recipient', arrange: failWith(400, twilioError(400, 21211, "The 'To' number is not a valid phone number.")) },
      { name: 'a number Twilio cannot call (13224)', errorClass: 'permanent', scope: 'recipient', arrange: failWith(400, twilioError(400, 13224, 'Twilio does not support calling this number or the number is invalid')) },
      { name: "a 'To' that cannot be reached (21214)", errorClass: 'permanent', scope: 'recipient', arrange: failWith(400, twilioError(400, 21214, "'To' phone number cannot be reached")) },
      { name: 'a call Twilio blocks (21216)', errorClass: 'permanent', scope: 'provider', arrange: failWith(400, twilioError(400, 21216, 'Account not allowed to call +14155550100')) },
      { name: 'an unverified caller id (21210)', errorClass: 'config', arrange: failWith(400, twilioError(400, 21210, "The source phone number provided, +15005550006, is not yet verified for your account.")) },
      { name: 'voice geo permissions off (21215)', errorClass: 'config', arrange: failWith(400, twilioError(400, 21215, 'Account not authorized to call +14155550100. Perhaps you need to enable some international permissions.')) },
      { name: 'wrong credentials (20003)', errorClass: 'config', arrange: failWith(401, twilioError(401, 20003, 'Authenticate')) },
      { name: 'rate limiting (20429)', errorClass: 'transient', arrange: failWith(429, twilioError(429, 20429, 'Too Many Requests')) },
      { name: 'an outage (HTTP 503)', errorClass: 'transient', arrange: failWith(503, twilioError(503, 20503, 'Service Unavailable')) },
    ],
  });

  describe('the call Clarion generates', () => {
    it('speaks the message and the "press 1" prompt inside a Gather posting back to Clarion, twice, then says goodbye', async () => {
      const { scope, posted } = captureCall();
      await (await adapter.create(config, context)).send(message, { idempotencyKey: 'k', signal: new AbortController().signal });
      scope.done();
      const action = gatherUrl('en-US').replace(/&/g, '&amp;');
      const say = (text: string) => `<Say language="en-US" voice="Google.en-US-Standard-A">${text}</Say>`;
      const gather = `<Gather input="dtmf" numDigits="1" action="${action}" method="POST" timeout="5" actionOnEmptyResult="false">${say('The database cluster eu-1 is down.')}${say('Press 1 to acknowledge this message.')}</Gather>`;
      expect(posted().Twiml).to.equal(`<?xml version="1.0" encoding="UTF-8"?><Response>${gather}${gather}${say('We did not receive an answer. Goodbye.')}<Hangup/></Response>`);
    });

    it('speaks French with French prompts for a fr-CA subscriber, escaping the text', async () => {
      const { posted } = captureCall();
      await (await adapter.create(config, context)).send(
        sampleMessage({ channel: 'voice', locale: 'fr-CA', content: { text: 'Le serveur <eu-1> est en panne & ne répond plus.' } }),
        { idempotencyKey: 'k', signal: new AbortController().signal },
      );
      const twiml = String(posted().Twiml);
      expect(twiml).to.contain('<Say language="fr-CA" voice="Google.fr-CA-Standard-A">Le serveur &lt;eu-1&gt; est en panne &amp; ne répond plus.</Say>');
      expect(twiml).to.contain('Appuyez sur 1 pour confirmer la réception de ce message.');
      expect(twiml).to.contain('lang=fr-CA');
    });

    it('uses configured voices per language, and a configured repeat, ring timeout and gather timeout', async () => {
      const { posted } = captureCall();
      const sender = await adapter.create({ ...config, voice: 'Polly.Joanna', voices: { fr: 'Polly.Lea' }, repeat: 1, ringTimeout: 25, gatherTimeout: 8 }, context);
      await sender.send(sampleMessage({ channel: 'voice', locale: 'fr', content: { text: 'Alerte' } }), { idempotencyKey: 'k', signal: new AbortController().signal });
      const twiml = String(posted().Twiml);
      expect(posted().Timeout).to.equal('25');
      expect(twiml.match(/<Gather /g)).to.have.length(1);
      expect(twiml).to.contain('timeout="8"');
      expect(twiml).to.contain('<Say language="fr-FR" voice="Polly.Lea">Alerte</Say>');
    });

    it('speaks a language without built-in prompts in its own voice and the prompts in English, or in configured words', async () => {
      let capture = captureCall();
      await (await adapter.create(config, context)).send(sampleMessage({ channel: 'voice', locale: 'it', content: { text: 'Il server è giù.' } }), { idempotencyKey: 'k', signal: new AbortController().signal });
      expect(String(capture.posted().Twiml)).to.contain('<Say language="it-IT" voice="Google.it-IT-Standard-A">Il server è giù.</Say>')
        .and.contain('<Say language="en-US" voice="Google.en-US-Standard-A">Press 1 to acknowledge this message.</Say>');
      capture = captureCall();
      const prompts = { it: { acknowledge: 'Premi 1 per confermare.', acknowledged: 'Grazie.', noInput: 'Arrivederci.', invalidKey: 'Tasto non valido.' } };
      await (await adapter.create({ ...config, prompts }, context)).send(sampleMessage({ channel: 'voice', locale: 'it', content: { text: 'Il server è giù.' } }), { idempotencyKey: 'k', signal: new AbortController().signal });
      expect(String(capture.posted().Twiml)).to.contain('<Say language="it-IT" voice="Google.it-IT-Standard-A">Premi 1 per confermare.</Say>');
    });

    it('falls back to the configured language for a locale Twilio cannot speak', async () => {
      const { posted } = captureCall();
      const warnings: object[] = [];
      const log = { ...context.log, warn: (obj: object) => warnings.push(obj) };
      await (await adapter.create({ ...config, fallbackLanguage: 'en-GB' }, { ...context, log })).send(
        sampleMessage({ channel: 'voice', locale: 'sw-KE', content: { text: 'Seva iko chini.' } }),
        { idempotencyKey: 'k', signal: new AbortController().signal },
      );
      expect(String(posted().Twiml)).to.contain('<Say language="en-GB" voice="Google.en-GB-Standard-A">Seva iko chini.</Say>');
      expect(warnings).to.deep.equal([{ locale: 'sw-KE', fallbackLanguage: 'en-GB' }]);
    });

    it('speaks a long message once rather than twice, and refuses one too long for a call', async () => {
      const { posted } = captureCall();
      const sender = await adapter.create(config, context);
      const result = await sender.send(sampleMessage({ channel: 'voice', locale: 'en', content: { text: 'x'.repeat(2000) } }), { idempotencyKey: 'k', signal: new AbortController().signal });
      expect(result.details).to.include({ repeat: 1 });
      expect(String(posted().Twiml).length).to.be.at.most(4000);
      const err = await sendAndCatch(sender, sampleMessage({ channel: 'voice', locale: 'en', content: { text: 'x'.repeat(4000) } }));
      // Twilio's limit, not the channel's: another voice provider may take it.
      expect(err).to.be.instanceOf(PermanentError).and.include({ code: 'twiml_too_long', scope: 'provider' });
    });

    it('refuses an invalid number and an empty text as permanent, without calling Twilio', async () => {
      const sender = await adapter.create(config, context);
      expect(await sendAndCatch(sender, sampleMessage({ channel: 'voice', to: { id: 'u', phone: '555-0100' }, content: { text: 'x' } }))).to.be.instanceOf(PermanentError).and.include({ code: 'invalid_phone_number', scope: 'recipient' });
      expect(await sendAndCatch(sender, sampleMessage({ channel: 'voice', content: { text: '' } }))).to.be.instanceOf(PermanentError).and.include({ code: 'empty_message', scope: 'recipient' });
    });
  });

  describe('sayLanguage', () => {
    it("maps locales onto Twilio's language codes", () => {
      expect(sayLanguage('en')).to.equal('en-US');
      expect(sayLanguage('en-GB')).to.equal('en-GB');
      expect(sayLanguage('en_NZ')).to.equal('en-AU');
      expect(sayLanguage('fr')).to.equal('fr-FR');
      expect(sayLanguage('fr-ca')).to.equal('fr-CA');
      expect(sayLanguage('fr-BE')).to.equal('fr-FR');
      expect(sayLanguage('es-MX')).to.equal('es-US');
      expect(sayLanguage('es')).to.equal('es-ES');
      expect(sayLanguage('pt')).to.equal('pt-BR');
      expect(sayLanguage('pt-PT')).to.equal('pt-PT');
      expect(sayLanguage('zh-Hant-TW')).to.equal('cmn-TW');
      expect(sayLanguage('zh-HK')).to.equal('yue-HK');
      expect(sayLanguage('zh')).to.equal('cmn-CN');
      expect(sayLanguage('nb')).to.equal('nb-NO');
      expect(sayLanguage('de-AT')).to.equal('de-DE');
      expect(sayLanguage('sw')).to.equal(undefined);
      expect(sayLanguage('')).to.equal(undefined);
    });
  });

  describe('key presses and call receipts', () => {
    let sender: Sender;
    before(async () => {
      sender = await adapter.create(config, context);
    });

    it('acknowledges the notification when 1 is pressed, and thanks the caller in their language', async () => {
      const result = await sender.parseCallback!(twilioCallback(gatherUrl('fr-CA'), callFields({ CallStatus: 'in-progress', Digits: '1', FinishedOnKey: '' })));
      expect(result.acknowledgements).to.deep.equal([NOTIFICATION]);
      expect(answer(result, { acknowledged: [NOTIFICATION], alreadyAcknowledged: [], unknown: [] })).to.deep.equal({
        status: 200,
        contentType: 'text/xml',
        body: '<?xml version="1.0" encoding="UTF-8"?><Response><Say language="fr-CA" voice="Google.fr-CA-Standard-A">Merci. Votre confirmation a bien été enregistrée. Au revoir.</Say><Hangup/></Response>',
      });
    });

    it('tells the caller the truth when the keypress acknowledged nothing', async () => {
      const result = await sender.parseCallback!(twilioCallback(gatherUrl('en-US'), callFields({ CallStatus: 'in-progress', Digits: '1' })));
      expect(answer(result, { acknowledged: [], alreadyAcknowledged: [NOTIFICATION], unknown: [] }).body).to.contain('This message was already acknowledged.').and.not.contain('recorded');
      expect(answer(result, { acknowledged: [], alreadyAcknowledged: [], unknown: [NOTIFICATION] }).body).to.contain('There is nothing to acknowledge for this call.').and.not.contain('recorded');
    });

    it('asks again after another key, without acknowledging', async () => {
      const url = gatherUrl('en-US');
      const result = await sender.parseCallback!(twilioCallback(url, callFields({ CallStatus: 'in-progress', Digits: '7' })));
      expect(result.acknowledgements).to.equal(undefined);
      expect(answer(result).body).to.contain('Sorry, that key is not valid.')
        .and.contain(`<Gather input="dtmf" numDigits="1" action="${url.replace(/&/g, '&amp;')}"`)
        .and.contain('Press 1 to acknowledge this message.');
    });

    it('maps the final call status: completed is delivered, busy and no-answer undelivered', async () => {
      const status = (extra: Record<string, string>) => sender.parseCallback!(twilioCallback(`${context.callbackUrl}?kind=status`, callFields(extra)));
      expect((await status({ CallStatus: 'completed', CallDuration: '31', Timestamp: 'Sat, 22 Nov 2026 10:00:31 +0000' })).updates).to.deep.equal([
        { providerMessageId: callSid(1), status: 'delivered', at: new Date('2026-11-22T10:00:31Z'), durationSeconds: 31 },
      ]);
      // A duration that is not a whole number of seconds is not passed on (nothing to charge on).
      expect((await status({ CallStatus: 'completed', CallDuration: '3.5' })).updates?.[0]).to.not.have.property('durationSeconds');
      expect((await status({ CallStatus: 'no-answer', CallDuration: '0' })).updates?.[0]).to.not.have.property('durationSeconds');
      expect((await status({ CallStatus: 'busy' })).updates).to.deep.equal([{ providerMessageId: callSid(1), status: 'undelivered', errorCode: 'busy', errorMessage: 'the line was busy' }]);
      expect((await status({ CallStatus: 'no-answer' })).updates?.[0]).to.include({ status: 'undelivered', errorCode: 'no-answer' });
      expect((await status({ CallStatus: 'failed', SipResponseCode: '404' })).updates?.[0]).to.include({ status: 'undelivered', errorMessage: 'the call could not be placed (SIP 404)' });
      expect((await status({ CallStatus: 'ringing' })).updates).to.deep.equal([]);
    });

    it('rejects an unsigned key press with 401 and acknowledges nothing', async () => {
      const err = await sender.parseCallback!(twilioCallback(gatherUrl('en-US'), callFields({ Digits: '1' }), { signature: null })).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(CallbackRejected).and.include({ status: 401 });
    });

    it('rejects a key press whose notification id was changed after signing with 403', async () => {
      const signed = twilioCallback(gatherUrl('en-US'), callFields({ Digits: '1' }));
      const other = signed.url.replace(NOTIFICATION, '00000000-0000-4000-8000-0000000000ff');
      const err = await sender.parseCallback!({ ...signed, url: other, query: Object.fromEntries(new URL(other).searchParams) }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(CallbackRejected).and.include({ status: 403 });
    });

    it('rejects a key press signed with another token with 403', async () => {
      const err = await sender.parseCallback!(twilioCallback(gatherUrl('en-US'), callFields({ Digits: '1' }), { token: 'x'.repeat(32) })).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(CallbackRejected).and.include({ status: 403 });
    });
  });

  describe('verify', () => {
    it('fetches the account and reports bad credentials as a configuration error', async () => {
      twilioApi().get(`/2010-04-01/Accounts/${ACCOUNT}.json`).reply(200, { sid: ACCOUNT, status: 'active' });
      twilioApi().get(`/2010-04-01/Accounts/${ACCOUNT}.json`).reply(401, twilioError(401, 20003, 'Authenticate'));
      const sender = await adapter.create(config, context);
      await sender.verify!();
      const err = await sender.verify!().catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ConfigError).and.include({ code: '20003' });
    });
  });
});

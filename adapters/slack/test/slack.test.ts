import { expect } from 'chai';
import nock from 'nock';
import { ConfigError, DeliveryError, PermanentError, TransientError } from '@clarion/adapter-kit';
import type { Recipient } from '@clarion/adapter-kit';
import { describeConformance, sampleMessage, testContext } from '@clarion/adapter-kit/conformance';
import adapter from '../src/index.ts';
import type { SlackConfig } from '../src/index.ts';

const BOT_TOKEN = 'xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy';
const HOOK_PATH = '/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX';
const botConfig: SlackConfig = { botToken: BOT_TOKEN, defaultChannel: 'C0DEFAULT01' };
const hookConfig: SlackConfig = { webhookUrl: `https://hooks.slack.com${HOOK_PATH}` };
const OWN_HOOK_PATH = '/services/T11111111/B11111111/YYYYYYYYYYYYYYYYYYYYYYYY';

const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*Build failed* on `main`' } }];
const chatMessage = (chat: Recipient['chat'] = { slack: { channel: 'C1H9RESGL' } }, content: Record<string, unknown> = {}) =>
  sampleMessage({ channel: 'chat', to: { id: 'user-1', chat }, content: { title: 'Build failed', text: 'main is red: <https://ci.example.com/42|build 42>', ...content } });

const postMessage = () => nock('https://slack.com').matchHeader('authorization', `Bearer ${BOT_TOKEN}`).matchHeader('content-type', /application\/json/);
const okReply = (channel = 'C1H9RESGL') => ({ ok: true, channel, ts: '1503435956.000247', message: { text: 'main is red', type: 'message', subtype: 'bot_message', ts: '1503435956.000247' } });
const botError = (error: string, status = 200, headers: Record<string, string> = {}) => () => {
  postMessage().post('/api/chat.postMessage').reply(status, { ok: false, error }, headers);
  return () => nock.cleanAll();
};
const hookError = (status: number, text: string, headers: Record<string, string> = {}) => () => {
  nock('https://hooks.slack.com').post(HOOK_PATH).reply(status, text, headers);
  return () => nock.cleanAll();
};

async function sendWith(config: SlackConfig, message = chatMessage()) {
  const sender = await adapter.create(config, testContext());
  return sender.send(message, { idempotencyKey: 'k1', signal: new AbortController().signal });
}

async function failureWith(config: SlackConfig, message = chatMessage()): Promise<DeliveryError> {
  try {
    await sendWith(config, message);
  } catch (err) {
    expect(err).to.be.instanceOf(DeliveryError);
    return err as DeliveryError;
  }
  throw new Error('send should have failed');
}

describe('slack adapter', () => {
  before(() => nock.disableNetConnect());
  after(() => nock.enableNetConnect());
  afterEach(() => nock.cleanAll());

  const invalidConfigs = [
    {},
    { ...botConfig, ...hookConfig },
    { botToken: 'not-a-token' },
    { webhookUrl: 'https://evil.example.com/services/T0/B0/X' },
    { ...botConfig, signingSecret: 'x' },
  ];

  describeConformance(adapter, {
    validConfig: botConfig,
    invalidConfigs,
    message: chatMessage(),
    success: () => {
      postMessage().post('/api/chat.postMessage').reply(200, okReply());
      return () => nock.cleanAll();
    },
    failures: [
      { name: 'channel_not_found for the subscriber\'s channel', errorClass: 'permanent', scope: 'recipient', arrange: botError('channel_not_found') },
      { name: 'channel_not_found for the default channel', errorClass: 'config', message: chatMessage({}), arrange: botError('channel_not_found') },
      { name: 'msg_too_long', errorClass: 'permanent', scope: 'provider', arrange: botError('msg_too_long') },
      { name: 'HTTP 429 ratelimited', errorClass: 'transient', arrange: botError('ratelimited', 429, { 'Retry-After': '30' }) },
      { name: 'invalid_auth', errorClass: 'config', arrange: botError('invalid_auth') },
    ],
  });

  describeConformance(adapter, {
    validConfig: hookConfig,
    invalidConfigs,
    message: chatMessage(),
    success: () => {
      nock('https://hooks.slack.com').post(HOOK_PATH).reply(200, 'ok');
      return () => nock.cleanAll();
    },
    failures: [
      { name: 'webhook 400 invalid_payload', errorClass: 'permanent', scope: 'provider', arrange: hookError(400, 'invalid_payload') },
      {
        name: 'the subscriber\'s own webhook gone (404 channel_not_found)',
        errorClass: 'permanent',
        scope: 'recipient',
        message: chatMessage({ slack: { webhookUrl: `https://hooks.slack.com${OWN_HOOK_PATH}` } }),
        arrange: () => {
          nock('https://hooks.slack.com').post(OWN_HOOK_PATH).reply(404, 'channel_not_found');
          return () => nock.cleanAll();
        },
      },
      { name: 'webhook 500 rollup_error', errorClass: 'transient', arrange: hookError(500, 'rollup_error') },
      { name: 'webhook 404 no_service', errorClass: 'config', arrange: hookError(404, 'no_service') },
    ],
  });

  describe('bot token (chat.postMessage)', () => {
    it('posts mrkdwn text, blocks and Clarion metadata to the subscriber channel', async () => {
      let posted: Record<string, unknown> | undefined;
      postMessage().post('/api/chat.postMessage', (body) => { posted = body; return true; }).reply(200, okReply());
      const message = chatMessage({ slack: { channel: 'C1H9RESGL' } }, { blocks });
      const result = await sendWith(botConfig, message);
      expect(result).to.include({ status: 'sent', providerMessageId: 'C1H9RESGL:1503435956.000247' });
      expect(posted).to.deep.equal({
        channel: 'C1H9RESGL',
        text: 'main is red: <https://ci.example.com/42|build 42>',
        mrkdwn: true,
        blocks,
        unfurl_links: false,
        unfurl_media: false,
        metadata: { event_type: 'clarion_notification', event_payload: { notification_id: message.notificationId, delivery_id: message.deliveryId } },
      });
    });

    it('puts the title in bold above the text when there are no blocks', async () => {
      let posted: Record<string, unknown> | undefined;
      postMessage().post('/api/chat.postMessage', (body) => { posted = body; return true; }).reply(200, okReply());
      await sendWith(botConfig);
      expect(posted?.text).to.equal('*Build failed*\nmain is red: <https://ci.example.com/42|build 42>');
    });

    it('sends to a user id (a DM) and otherwise to the default channel', async () => {
      const channels: unknown[] = [];
      postMessage().post('/api/chat.postMessage', (body) => { channels.push(body.channel); return true; }).times(2).reply(200, okReply('D024BE91L'));
      await sendWith(botConfig, chatMessage({ slack: { userId: 'U024BE7LH' } }));
      await sendWith(botConfig, chatMessage({}));
      expect(channels).to.deep.equal(['U024BE7LH', 'C0DEFAULT01']);
    });

    it('fails permanently for a subscriber without a Slack address when no default channel is set: another provider may have one', async () => {
      const err = await failureWith({ botToken: BOT_TOKEN }, chatMessage({}));
      expect(err).to.be.instanceOf(PermanentError).and.include({ code: 'NO_ADDRESS', scope: 'provider' });
    });

    const scopes: Record<string, 'recipient' | 'provider'> = {
      channel_not_found: 'recipient',
      is_archived: 'recipient',
      restricted_action_read_only_channel: 'recipient',
      no_text: 'recipient',
      not_in_channel: 'provider',
      msg_too_long: 'provider',
      invalid_blocks: 'provider',
      too_many_attachments: 'provider',
    };
    for (const [error, scope] of Object.entries(scopes)) {
      it(`classifies ${error} for the subscriber's channel as permanent about the ${scope}`, async () => {
        botError(error)();
        const err = await failureWith(botConfig);
        expect(err).to.be.instanceOf(PermanentError).and.include({ code: error, scope });
      });
    }

    for (const error of ['channel_not_found', 'is_archived', 'not_in_channel']) {
      it(`classifies ${error} for the configured default channel as config`, async () => {
        botError(error)();
        const err = await failureWith(botConfig, chatMessage({}));
        expect(err).to.be.instanceOf(ConfigError).and.include({ code: error });
      });
    }

    for (const error of ['invalid_auth', 'not_authed', 'token_revoked', 'account_inactive', 'missing_scope']) {
      it(`classifies ${error} as config`, async () => {
        botError(error)();
        const err = await failureWith(botConfig);
        expect(err).to.be.instanceOf(ConfigError);
        expect(err.code).to.equal(error);
      });
    }

    it('classifies HTTP 429 ratelimited as transient and honours Retry-After', async () => {
      botError('ratelimited', 429, { 'Retry-After': '30' })();
      const err = await failureWith(botConfig);
      expect(err).to.be.instanceOf(TransientError);
      expect(err.retryAfterMs).to.equal(30_000);
    });

    it('classifies internal_error and a 503 without JSON as transient', async () => {
      botError('internal_error')();
      expect(await failureWith(botConfig)).to.be.instanceOf(TransientError);
      postMessage().post('/api/chat.postMessage').reply(503, '<html>Service Unavailable</html>');
      expect(await failureWith(botConfig)).to.be.instanceOf(TransientError);
    });

    it('verify() calls auth.test with the token', async () => {
      postMessage().post('/api/auth.test').reply(200, { ok: true, url: 'https://acme.slack.com/', team: 'Acme', user: 'clarion', team_id: 'T12345', user_id: 'W12345', bot_id: 'B12345' });
      const sender = await adapter.create(botConfig, testContext());
      await sender.verify!();
      expect(nock.isDone()).to.equal(true);
      postMessage().post('/api/auth.test').reply(200, { ok: false, error: 'invalid_auth' });
      let caught: unknown;
      try {
        await sender.verify!();
      } catch (err) {
        caught = err;
      }
      expect(caught).to.be.instanceOf(ConfigError);
    });
  });

  describe('incoming webhook', () => {
    it('posts text and blocks as JSON and accepts the "ok" answer', async () => {
      let posted: Record<string, unknown> | undefined;
      nock('https://hooks.slack.com').matchHeader('content-type', /application\/json/).post(HOOK_PATH, (body) => { posted = body; return true; }).reply(200, 'ok');
      const message = chatMessage({}, { blocks });
      const result = await sendWith(hookConfig, message);
      expect(result).to.include({ status: 'sent', providerMessageId: message.deliveryId });
      expect(posted).to.deep.include({ text: 'main is red: <https://ci.example.com/42|build 42>', blocks, mrkdwn: true });
    });

    it('posts to the subscriber\'s own webhook, and a gone or refusing one is the recipient\'s rather than config', async () => {
      const own = chatMessage({ slack: { webhookUrl: `https://hooks.slack.com${OWN_HOOK_PATH}` } });
      nock('https://hooks.slack.com').post(OWN_HOOK_PATH).reply(404, 'channel_not_found');
      const err = await failureWith(hookConfig, own);
      expect(err).to.be.instanceOf(PermanentError).and.include({ code: 'channel_not_found', scope: 'recipient' });
      nock('https://hooks.slack.com').post(OWN_HOOK_PATH).reply(400, 'invalid_payload');
      expect(await failureWith(hookConfig, own)).to.be.instanceOf(PermanentError).and.include({ code: 'invalid_payload', scope: 'recipient' });
    });

    it('refuses a subscriber webhook outside hooks.slack.com without posting', async () => {
      const err = await failureWith(hookConfig, chatMessage({ slack: { webhookUrl: 'https://169.254.169.254/latest/meta-data' } }));
      expect(err).to.be.instanceOf(PermanentError).and.include({ code: 'INVALID_ADDRESS', scope: 'recipient' });
    });

    it('classifies 403 action_prohibited on the configured webhook as config', async () => {
      hookError(403, 'action_prohibited')();
      expect(await failureWith(hookConfig)).to.be.instanceOf(ConfigError);
    });

    it('classifies 410 channel_is_archived on the configured webhook as config', async () => {
      hookError(410, 'channel_is_archived')();
      expect(await failureWith(hookConfig)).to.be.instanceOf(ConfigError);
    });

    it('classifies 400 no_text as permanent about the recipient (the template) and 429 as transient with Retry-After', async () => {
      hookError(400, 'no_text')();
      expect(await failureWith(hookConfig)).to.be.instanceOf(PermanentError).and.include({ scope: 'recipient' });
      hookError(429, 'rate_limited', { 'Retry-After': '5' })();
      const err = await failureWith(hookConfig);
      expect(err).to.be.instanceOf(TransientError);
      expect(err.retryAfterMs).to.equal(5_000);
    });
  });
});

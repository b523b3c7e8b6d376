import { expect } from 'chai';
import nock from 'nock';
import { ConfigError, DeliveryError, PermanentError, TransientError } from '@clarion/adapter-kit';
import type { Recipient } from '@clarion/adapter-kit';
import { describeConformance, sampleMessage, testContext } from '@clarion/adapter-kit/conformance';
import adapter from '../src/index.ts';
import type { TeamsConfig } from '../src/index.ts';

const FLOW_HOST = 'https://prod-12.westeurope.logic.azure.com:443';
const FLOW_PATH = '/workflows/0a1b2c3d4e5f/triggers/manual/paths/invoke';
const FLOW_QUERY = { 'api-version': '2016-06-01', sp: '/triggers/manual/run', sv: '1.0', sig: 'kR2vUnN4m6dXw8sYt0QeZfLh' };
const config: TeamsConfig = { webhookUrl: `${FLOW_HOST}${FLOW_PATH}?${new URLSearchParams(FLOW_QUERY)}` };
const CONNECTOR_HOST = 'https://contoso.webhook.office.com';
const CONNECTOR_PATH = '/webhookb2/6f1d2e3c@72f988bf/IncomingWebhook/4a5b6c7d/9e8f7a6b';

const chatMessage = (chat?: Recipient['chat'], content: Record<string, unknown> = {}) =>
  sampleMessage({
    channel: 'chat',
    to: { id: 'user-1', ...(chat ? { chat } : {}) },
    content: { title: 'Build failed', text: 'main is red', url: 'https://ci.example.com/builds/42', ...content },
  });

const flow = (capture: (body: Record<string, unknown>) => void = () => {}) =>
  nock(FLOW_HOST).matchHeader('content-type', /application\/json/).post(FLOW_PATH, (body) => { capture(body); return true; }).query(FLOW_QUERY);
const flowAnswers = (status: number, body: unknown = '', headers: Record<string, string> = {}) => () => {
  flow().reply(status, body as string, headers);
  return () => nock.cleanAll();
};

async function send(message = chatMessage(), cfg: TeamsConfig = config) {
  const sender = await adapter.create(cfg, testContext());
  return sender.send(message, { idempotencyKey: 'k1', signal: new AbortController().signal });
}

async function failure(message = chatMessage(), cfg: TeamsConfig = config): Promise<DeliveryError> {
  try {
    await send(message, cfg);
  } catch (err) {
    expect(err).to.be.instanceOf(DeliveryError);
    return err as DeliveryError;
  }
  throw new Error('send should have failed');
}

describe('teams adapter', () => {
  before(() => nock.disableNetConnect());
  after(() => nock.enableNetConnect());
  afterEach(() => nock.cleanAll());

  describeConformance(adapter, {
    validConfig: config,
    invalidConfigs: [{ webhookUrl: 'http://prod-12.westeurope.logic.azure.com/workflows' }, { ...config, cardVersion: '2' }, { ...config, botId: 'x' }, { webhookUrl: 42 }],
    message: chatMessage(),
    success: flowAnswers(202, '', { 'x-ms-workflow-run-id': '08584748262498493742413539281CU28' }),
    failures: [
      { name: '400 TriggerInputSchemaMismatch', errorClass: 'permanent', scope: 'provider', arrange: flowAnswers(400, { error: { code: 'TriggerInputSchemaMismatch', message: "The input body for trigger 'manual' of type 'Request' did not match its schema definition." } }) },
      {
        name: 'the subscriber\'s own connector removed (404)',
        errorClass: 'permanent',
        scope: 'recipient',
        message: chatMessage({ teams: { webhookUrl: `${CONNECTOR_HOST}${CONNECTOR_PATH}` } }),
        arrange: () => {
          nock(CONNECTOR_HOST).post(CONNECTOR_PATH).reply(404, 'Not Found');
          return () => nock.cleanAll();
        },
      },
      { name: '429 Too Many Requests', errorClass: 'transient', arrange: flowAnswers(429, { error: { code: 'WorkflowRequestsThrottled', message: 'Rate limit is exceeded.' } }, { 'Retry-After': '20' }) },
      { name: '401 DirectApiAuthorizationRequired', errorClass: 'config', arrange: flowAnswers(401, { error: { code: 'DirectApiAuthorizationRequired', message: 'The request must be authenticated.' } }) },
    ],
    checkSuccess: (result) => { expect(result.providerMessageId).to.equal('08584748262498493742413539281CU28'); },
  });

  it('posts a message with one Adaptive Card made of the title, the text and the link', async () => {
    let posted: unknown;
    flow((body) => { posted = body; }).reply(202, '');
    await send();
    expect(posted).to.deep.equal({
      type: 'message',
      attachments: [{
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          msteams: { width: 'Full' },
          body: [
            { type: 'TextBlock', text: 'Build failed', weight: 'Bolder', size: 'Medium', wrap: true },
            { type: 'TextBlock', text: 'main is red', wrap: true },
          ],
          actions: [{ type: 'Action.OpenUrl', title: 'Open', url: 'https://ci.example.com/builds/42' }],
        },
      }],
    });
  });

  it('sends the template\'s own Adaptive Card, or its body elements, as rendered', async () => {
    const card = { type: 'AdaptiveCard', version: '1.5', body: [{ type: 'FactSet', facts: [{ title: 'Build', value: '42' }] }] };
    const bodies: unknown[] = [];
    flow((body) => { bodies.push((body as { attachments: Array<{ content: unknown }> }).attachments[0].content); }).times(2).reply(202, '');
    await send(chatMessage(undefined, { blocks: card }));
    await send(chatMessage(undefined, { blocks: card.body }));
    expect(bodies[0]).to.deep.equal({ msteams: { width: 'Full' }, ...card });
    expect(bodies[1]).to.deep.include({ type: 'AdaptiveCard', version: '1.4', body: card.body });
  });

  it('accepts a legacy connector\'s "1" and returns the delivery id as the message id', async () => {
    nock(CONNECTOR_HOST).post(CONNECTOR_PATH).reply(200, '1');
    const message = chatMessage();
    const result = await send(message, { webhookUrl: `${CONNECTOR_HOST}${CONNECTOR_PATH}` });
    expect(result).to.include({ status: 'sent', providerMessageId: message.deliveryId });
  });

  it('reads the throttling a legacy connector reports inside a 200 as transient', async () => {
    nock(CONNECTOR_HOST).post(CONNECTOR_PATH).reply(200, 'Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 429 with ContextId tcid=0,server=msgapi-production-eus-azsc2-4-170,cv=deadbeef.0..');
    const err = await failure(chatMessage(), { webhookUrl: `${CONNECTOR_HOST}${CONNECTOR_PATH}` });
    expect(err).to.be.instanceOf(TransientError);
    expect(err.status).to.equal(429);
  });

  it('treats a connector\'s 200 refusal text as permanent: the provider\'s for the configured URL, the recipient\'s for their own', async () => {
    nock(CONNECTOR_HOST).post(CONNECTOR_PATH).times(2).reply(200, 'Summary or Text is required.');
    expect(await failure(chatMessage(), { webhookUrl: `${CONNECTOR_HOST}${CONNECTOR_PATH}` })).to.be.instanceOf(PermanentError).and.include({ code: 'REFUSED', scope: 'provider' });
    expect(await failure(chatMessage({ teams: { webhookUrl: `${CONNECTOR_HOST}${CONNECTOR_PATH}` } }), {})).to.be.instanceOf(PermanentError).and.include({ code: 'REFUSED', scope: 'recipient' });
  });

  it('posts to the subscriber\'s own Teams URL; a deleted one is permanent, the configured one config', async () => {
    nock(CONNECTOR_HOST).post(CONNECTOR_PATH).reply(404, 'Not Found');
    const own = await failure(chatMessage({ teams: { webhookUrl: `${CONNECTOR_HOST}${CONNECTOR_PATH}` } }));
    expect(own).to.be.instanceOf(PermanentError).and.include({ scope: 'recipient' });
    flowAnswers(404, { error: { code: 'WorkflowNotFound', message: 'The workflow was not found.' } })();
    const configured = await failure();
    expect(configured).to.be.instanceOf(ConfigError);
    expect(configured.code).to.equal('WorkflowNotFound');
  });

  it('refuses a subscriber URL that is not a Microsoft webhook host, without posting', async () => {
    const err = await failure(chatMessage({ teams: { webhookUrl: 'https://internal.example.com/hook' } }));
    expect(err).to.be.instanceOf(PermanentError).and.include({ code: 'INVALID_ADDRESS', scope: 'recipient' });
  });

  it('fails permanently when neither the subscriber nor the configuration has a URL: another chat provider may have one', async () => {
    const err = await failure(chatMessage(), {});
    expect(err).to.be.instanceOf(PermanentError).and.include({ code: 'NO_ADDRESS', scope: 'provider' });
  });

  it('refuses an empty message as the recipient\'s (the template), without posting', async () => {
    const err = await failure(chatMessage(undefined, { title: undefined, text: undefined }));
    expect(err).to.be.instanceOf(PermanentError).and.include({ code: 'EMPTY_MESSAGE', scope: 'recipient' });
  });

  it('classifies 413 as permanent, 429 with Retry-After and 502 as transient, 403 as config', async () => {
    flowAnswers(413, 'Request Entity too large')();
    expect(await failure()).to.be.instanceOf(PermanentError).and.include({ scope: 'provider' });
    flowAnswers(429, '', { 'Retry-After': '20' })();
    const throttled = await failure();
    expect(throttled).to.be.instanceOf(TransientError);
    expect(throttled.retryAfterMs).to.equal(20_000);
    flowAnswers(502, { error: { code: 'BadGateway', message: 'Bad gateway' } })();
    expect(await failure()).to.be.instanceOf(TransientError);
    flowAnswers(403, { error: { code: 'AuthorizationFailed', message: 'The signature is invalid.' } })();
    expect(await failure()).to.be.instanceOf(ConfigError);
  });

  it('classifies a subscriber\'s own URL refusing its signature (403) as the recipient\'s, not config', async () => {
    nock(CONNECTOR_HOST).post(CONNECTOR_PATH).reply(403, { error: { code: 'AuthorizationFailed', message: 'The signature is invalid.' } });
    const err = await failure(chatMessage({ teams: { webhookUrl: `${CONNECTOR_HOST}${CONNECTOR_PATH}` } }));
    expect(err).to.be.instanceOf(PermanentError).and.include({ code: 'AuthorizationFailed', scope: 'recipient' });
  });
});

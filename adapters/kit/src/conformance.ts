import { Ajv2020 } from 'ajv/dist/2020.js';
import { expect } from 'chai';
import { DeliveryError } from './errors.ts';
import type { ErrorScope } from './errors.ts';
import { createOutboundPolicy } from './outbound.ts';
import type { AdapterContext, AdapterDefinition, OutboundMessage, SendResult } from './types.ts';
import { CHANNELS } from './types.ts';

/**
 * The conformance suite every adapter runs from its own tests:
 *
 *   describeConformance(adapter, { validConfig, invalidConfigs, message, success, failures });
 *
 * `success` and each `failures[]` entry arrange the provider's answer (nock scopes, a local
 * server) and return a cleanup; the suite then checks what the engine relies on: the declaration,
 * the schema, a successful send with a provider message id, classified errors (never strings),
 * and that an aborted signal stops the send.
 */
export interface ConformanceFixtures<Config> {
  validConfig: Config;
  /** Configurations the schema must refuse (missing credentials, wrong types). */
  invalidConfigs: unknown[];
  message: OutboundMessage;
  context?: Partial<AdapterContext>;
  /** Arranges a successful provider answer. */
  success: () => void | (() => void) | Promise<void | (() => void)>;
  /** Arranges failures and names the class (and, for permanent ones, the scope) each must be classified as. */
  failures: FailureFixture[];
  /** Checks on the successful result beyond the contract (optional). */
  checkSuccess?: (result: SendResult) => void | Promise<void>;
  /** Skip the abort check for adapters that send no network request (sandbox, in_app). */
  noNetwork?: boolean;
}

type Arrange = () => void | (() => void) | Promise<void | (() => void)>;

/** One failure the suite provokes, and how the adapter must classify it. */
export type FailureFixture = {
  name: string;
  /** Arranges the provider's answer (nock scopes, a local server's reply); may return a cleanup. */
  arrange: Arrange;
  /** The message to send instead of the fixtures' own (a subscriber's own address, devices of several platforms). */
  message?: OutboundMessage;
} & (
  | { errorClass: 'transient' | 'config'; scope?: never }
  | {
    errorClass: 'permanent';
    /**
     * What it is about, which decides where the message goes next: `recipient` (no provider of
     * the channel could deliver it to this person: the workflow's fallback channel) or `provider`
     * (this provider refuses it: the channel's next provider). Required: a permanent failure
     * without a scope is a classification left unmade.
     */
    scope: ErrorScope;
  }
);

/** Adapter tests talk to local servers (and nock's interceptions of public hosts): private addresses allowed. */
const testPolicy = createOutboundPolicy({ allowPrivate: true });

export function testContext(overrides: Partial<AdapterContext> = {}): AdapterContext {
  const noop = () => {};
  return {
    log: { debug: noop, info: noop, warn: noop, error: noop },
    fetch: globalThis.fetch,
    outbound: testPolicy,
    tenantId: '00000000-0000-4000-8000-000000000001',
    providerId: '00000000-0000-4000-8000-000000000002',
    publicUrl: 'https://clarion.example.com',
    callbackUrl: 'https://clarion.example.com/v1/providers/test/callbacks/00000000-0000-4000-8000-000000000002',
    host: {},
    ...overrides,
  };
}

export function sampleMessage(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    tenantId: '00000000-0000-4000-8000-000000000001',
    notificationId: '00000000-0000-4000-8000-0000000000a1',
    deliveryId: '00000000-0000-4000-8000-0000000000d1',
    channel: 'email',
    priority: 'normal',
    locale: 'en',
    to: { id: 'user-1', name: 'Ada Lovelace', email: 'ada@example.com', phone: '+14155550100' },
    content: { subject: 'Hello', text: 'Hello Ada', html: '<p>Hello Ada</p>', title: 'Hello', body: 'Hello Ada' },
    ...overrides,
  };
}

/**
 * What the suite checks of each provoked failure: a classified error (never a string) of the
 * expected class, and for a permanent one the scope the engine routes on (recipient: fallback
 * channel; provider: next provider).
 */
export function checkClassified(caught: unknown, failure: FailureFixture): void {
  checkFixture(failure);
  expect(caught, 'send must throw').to.be.instanceOf(DeliveryError);
  const error = caught as DeliveryError;
  expect(error.errorClass, `the class of ${failure.name} (${error.message})`).to.equal(failure.errorClass);
  if (failure.errorClass === 'permanent') {
    expect(error.scope, `the scope of ${failure.name} (${error.message}): recipient sends it to the fallback channel, provider to the next provider`).to.equal(failure.scope);
  }
}

/** A fixture the types would refuse (plain JavaScript, a cast): a permanent failure must say whose it is. */
function checkFixture(failure: FailureFixture): void {
  const scope = (failure as { scope?: unknown }).scope;
  if (failure.errorClass === 'permanent' && scope !== 'recipient' && scope !== 'provider') {
    expect.fail(`conformance fixture "${failure.name}" is permanent but declares no scope (got ${JSON.stringify(scope)}): say whether it is about the recipient (the workflow's fallback channel next) or the provider (the channel's next provider)`);
  }
}

export function describeConformance<Config>(adapter: AdapterDefinition<Config>, fixtures: ConformanceFixtures<Config>): void {
  describe(`${adapter.name}: adapter-kit conformance`, () => {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    const options = () => ({ idempotencyKey: `conf-${fixtures.message.deliveryId}`, signal: new AbortController().signal });
    const arrange = async (fn: Arrange) => (await fn()) ?? (() => {});

    it('declares a name, a known channel and a JSON Schema for its configuration', () => {
      expect(adapter.name).to.match(/^[a-z][a-z0-9-]+$/);
      expect(CHANNELS).to.include(adapter.channel);
      expect(adapter.channel).to.equal(fixtures.message.channel);
      expect(() => ajv.compile(adapter.configSchema)).to.not.throw();
    });

    it('accepts the valid configuration and refuses the invalid ones', () => {
      const validate = ajv.compile(adapter.configSchema);
      expect(validate(fixtures.validConfig), JSON.stringify(validate.errors)).to.equal(true);
      for (const bad of fixtures.invalidConfigs) expect(validate(bad), `should refuse ${JSON.stringify(bad)}`).to.equal(false);
    });

    it('sends and returns the provider message id', async () => {
      const cleanup = await arrange(fixtures.success);
      try {
        const sender = await adapter.create(fixtures.validConfig, testContext(fixtures.context));
        const result = await sender.send(fixtures.message, options());
        expect(result.status).to.be.oneOf(['sent', 'delivered']);
        expect(result.providerMessageId).to.be.a('string').and.not.equal('');
        await fixtures.checkSuccess?.(result);
        await sender.close?.();
      } finally {
        cleanup();
      }
    });

    for (const failure of fixtures.failures) {
      it(`classifies ${failure.name} as ${failure.errorClass}${failure.errorClass === 'permanent' ? ` about the ${failure.scope}` : ''}`, async () => {
        checkFixture(failure);
        const cleanup = await arrange(failure.arrange);
        try {
          const sender = await adapter.create(fixtures.validConfig, testContext(fixtures.context));
          let caught: unknown;
          try {
            await sender.send(failure.message ?? fixtures.message, options());
          } catch (err) {
            caught = err;
          }
          checkClassified(caught, failure);
          await sender.close?.();
        } finally {
          cleanup();
        }
      });
    }

    if (!fixtures.noNetwork) {
      it('gives up with a transient error when the signal is already aborted', async () => {
        const cleanup = await arrange(fixtures.success);
        try {
          const sender = await adapter.create(fixtures.validConfig, testContext(fixtures.context));
          const controller = new AbortController();
          controller.abort(new Error('send timeout'));
          let caught: unknown;
          try {
            await sender.send(fixtures.message, { idempotencyKey: 'aborted', signal: controller.signal });
          } catch (err) {
            caught = err;
          }
          expect(caught, 'send must throw').to.be.instanceOf(DeliveryError);
          expect((caught as DeliveryError).errorClass).to.equal('transient');
          await sender.close?.();
        } finally {
          cleanup();
        }
      });
    }
  });
}

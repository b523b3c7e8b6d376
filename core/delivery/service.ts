import type { CallbackRequest, CallbackResponse, OutboundMessage } from '@clarion/adapter-kit';
import { Attempts } from './attempts.ts';
import { Breakers } from './breakers.ts';
import { handleCallback } from './callbacks.ts';
import type { DeliveryContext } from './context.ts';
import { requeue } from './dead-letters.ts';
import { mediaFile } from './media.ts';
import type { ProviderTestResult } from './provider-schemas.ts';
import { sendThroughChannel, testProvider } from './provider-test.ts';
import { sendDelivery, type SendOptions } from './send.ts';
import { SendContexts } from './send-contexts.ts';
import { Senders } from './senders.ts';

/**
 * The delivery stage: each delivery through the tenant's providers (send.ts), its outcome and
 * next step (attempts.ts, by policy.ts), circuit breakers, provider receipts (callbacks.ts),
 * test sends and dead letters. The notification stage creates the deliveries; the two meet in
 * the status module (core/notifications/status.ts) and nowhere else.
 */
export class DeliveryService {
  readonly #ctx: DeliveryContext;
  readonly #senders: Senders;
  readonly #breakers: Breakers;
  readonly #attempts: Attempts;
  readonly #contexts: SendContexts;

  constructor(ctx: DeliveryContext) {
    this.#ctx = ctx;
    this.#senders = new Senders(ctx);
    this.#breakers = new Breakers(ctx);
    this.#attempts = new Attempts(ctx, this.#senders, this.#breakers);
    this.#contexts = new SendContexts(ctx.knex);
  }

  /**
   * `send_delivery`: one attempt at one delivery; schedules whatever comes next. `onlyPending`: a
   * first send (`send_deliveries`), skipped once the delivery has left `pending`.
   */
  sendDelivery(deliveryId: string, tenantId: string, options: SendOptions = {}): Promise<void> {
    return sendDelivery(this.#ctx, { senders: this.#senders, breakers: this.#breakers, attempts: this.#attempts, contexts: this.#contexts }, deliveryId, tenantId, options);
  }

  handleCallback(adapterName: string, providerId: string, request: CallbackRequest): Promise<CallbackResponse | undefined> {
    return handleCallback(this.#ctx, this.#senders, adapterName, providerId, request);
  }

  testProvider(tenantId: string, providerId: string, to: OutboundMessage['to'], actor: string): Promise<ProviderTestResult> {
    return testProvider(this.#ctx, this.#senders, tenantId, providerId, to, actor);
  }

  /**
   * One message of the tenant's own (a template test send, a console password reset or
   * invitation) through the channel's first enabled provider; audited as `action`.
   */
  sendDirect(tenantId: string, channel: OutboundMessage['channel'], to: OutboundMessage['to'], content: OutboundMessage['content'], actor: string, action: string): Promise<Record<string, unknown>> {
    return sendThroughChannel(this.#ctx, this.#senders, tenantId, channel, to, content, actor, action);
  }

  requeue(tenantId: string, deliveryId: string, actor: string): Promise<void> {
    return requeue(this.#ctx, tenantId, deliveryId, actor);
  }

  /** `GET /v1/media/{token}`: the stored file a signed media link names (media.ts). */
  mediaFile(token: string): Promise<{ filename: string; contentType: string; content: Buffer }> {
    return mediaFile(this.#ctx.knex, this.#ctx.config.secretKey, token, this.#ctx.clock.now());
  }

  /** Provider circuit states as this process sees them. */
  circuitStates(): Array<{ provider: string; state: string }> {
    return this.#breakers.states();
  }

  async close(): Promise<void> {
    await this.#senders.close();
  }
}

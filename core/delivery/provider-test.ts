import type { OutboundMessage } from '@clarion/adapter-kit';
import { excerpt } from '@clarion/adapter-kit';
import { audit } from '../db/repositories/audit-log.ts';
import { ClarionError } from '../errors.ts';
import { toDeliveryError } from './attempts.ts';
import type { DeliveryContext } from './context.ts';
import type { Senders } from './senders.ts';

const NO_ID = '00000000-0000-0000-0000-000000000000';

/** `POST /v1/providers/:id/test`: one test message through one provider, its outcome reported and audited; no delivery recorded. */
export async function testProvider(ctx: DeliveryContext, senders: Senders, tenantId: string, providerId: string, to: OutboundMessage['to'], actor: string): Promise<Record<string, unknown>> {
  const provider = await ctx.providers.record({ id: providerId, tenantId });
  if (!provider) throw new ClarionError('CLARION_ERR_PROVIDER_NOT_FOUND', `No provider ${providerId}`);
  const text = 'This is a test message from Clarion: your provider configuration works.';
  const message: OutboundMessage = {
    tenantId,
    notificationId: NO_ID,
    deliveryId: NO_ID,
    channel: provider.channel,
    priority: 'normal',
    locale: to.locale ?? 'en',
    to,
    content: { subject: 'Clarion test message', text, html: `<p>${text}</p>`, title: 'Clarion test', body: text, json: { test: true, text } },
    metadata: { test: 'true' },
  };
  const started = performance.now();
  try {
    const sender = await senders.of(provider);
    await sender.verify?.();
    const result = await sender.send(message, { idempotencyKey: `test:${providerId}:${ctx.clock.now().getTime()}`, signal: AbortSignal.timeout(ctx.config.sendTimeoutMs) });
    await audit(ctx.knex, tenantId, actor, 'provider.tested', providerId, { ok: true }, 'provider');
    return { ok: true, providerMessageId: result.providerMessageId ?? null, status: result.status, details: result.details ?? null, durationMs: Math.round(performance.now() - started) };
  } catch (err) {
    const error = toDeliveryError(err);
    await audit(ctx.knex, tenantId, actor, 'provider.tested', providerId, { ok: false, errorClass: error.errorClass, errorCode: error.code ?? null }, 'provider');
    throw new ClarionError('CLARION_ERR_PROVIDER_TEST_FAILED', `The provider refused the test message: ${error.message}`, {
      extensions: { errorClass: error.errorClass, errorCode: error.code ?? null, response: excerpt(error.response) ?? null },
    });
  }
}

import type { OutboundMessage } from '@clarion/adapter-kit';
import { excerpt } from '@clarion/adapter-kit';
import { audit } from '../db/repositories/audit-log.ts';
import { ClarionError } from '../errors.ts';
import { toDeliveryError } from './attempts.ts';
import type { DeliveryContext } from './context.ts';
import type { ProviderTestResult } from './provider-schemas.ts';
import type { Senders } from './senders.ts';

const NO_ID = '00000000-0000-0000-0000-000000000000';

/** `POST /v1/providers/:id/test`: one test message through one provider, its outcome reported and audited; no delivery recorded. */
export async function testProvider(
  ctx: DeliveryContext,
  senders: Senders,
  tenantId: string,
  providerId: string,
  to: OutboundMessage['to'],
  actor: string,
  options: { content?: OutboundMessage['content']; action?: string } = {},
): Promise<ProviderTestResult> {
  const provider = await ctx.providers.record({ id: providerId, tenantId });
  if (!provider) throw new ClarionError('CLARION_ERR_PROVIDER_NOT_FOUND', `No provider ${providerId}`);
  const text = 'This is a test message from Clarion: your provider configuration works.';
  const action = options.action ?? 'provider.tested';
  const message: OutboundMessage = {
    tenantId,
    notificationId: NO_ID,
    deliveryId: NO_ID,
    channel: provider.channel,
    priority: 'normal',
    locale: to.locale ?? 'en',
    to,
    content: options.content ?? { subject: 'Clarion test message', text, html: `<p>${text}</p>`, title: 'Clarion test', body: text, json: { test: true, text } },
    metadata: { test: 'true' },
  };
  const started = performance.now();
  try {
    const sender = await senders.of(provider);
    await sender.verify?.();
    const result = await sender.send(message, { idempotencyKey: `test:${providerId}:${ctx.clock.now().getTime()}`, signal: AbortSignal.timeout(ctx.config.sendTimeoutMs) });
    await audit(ctx.knex, tenantId, actor, action, providerId, { ok: true }, 'provider');
    return { ok: true, providerMessageId: result.providerMessageId ?? null, status: result.status, details: result.details ?? null, durationMs: Math.round(performance.now() - started) };
  } catch (err) {
    const error = toDeliveryError(err);
    await audit(ctx.knex, tenantId, actor, action, providerId, { ok: false, errorClass: error.errorClass, errorCode: error.code ?? null }, 'provider');
    throw new ClarionError('CLARION_ERR_PROVIDER_TEST_FAILED', `The provider refused the test message: ${error.message}`, {
      extensions: { errorClass: error.errorClass, errorCode: error.code ?? null, response: excerpt(error.response) ?? null },
    });
  }
}

/**
 * One message of the tenant's own (a template test, a console password reset) through the
 * channel's first enabled provider, by the same path as a provider test: reported and audited,
 * no delivery recorded. A channel without an enabled provider is a clear error, never a silent
 * success (nor the sandbox: these messages are meant to arrive).
 */
export async function sendThroughChannel(
  ctx: DeliveryContext,
  senders: Senders,
  tenantId: string,
  channel: OutboundMessage['channel'],
  to: OutboundMessage['to'],
  content: OutboundMessage['content'],
  actor: string,
  action: string,
): Promise<ProviderTestResult & { providerId: string }> {
  const [provider] = await ctx.providers.forChannel(tenantId, channel);
  if (!provider) {
    throw new ClarionError(
      channel === 'email' ? 'CLARION_ERR_ADMIN_NO_EMAIL_PROVIDER' : 'CLARION_ERR_PROVIDER_NOT_FOUND',
      `The tenant has no enabled ${channel} provider to send through: add one under Providers`,
    );
  }
  return { providerId: provider.id, ...(await testProvider(ctx, senders, tenantId, provider.id, to, actor, { content, action })) };
}

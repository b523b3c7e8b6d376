import { CHANNELS, ConfigError, PermanentError, TransientError, defineAdapter } from '@clarion/adapter-kit';
import type { ErrorScope } from '@clarion/adapter-kit';

export interface SandboxConfig {
  /** Refuse messages to these addresses (emails or phone numbers) with a permanent error, to rehearse fallbacks. Default: none. */
  rejectAddresses?: string[];
  /**
   * What those refusals are about: `recipient` rehearses the workflow's fallback channel (an
   * unknown address), `provider` the channel's next provider (a provider refusing the message).
   * Default: `recipient`.
   */
  rejectScope?: ErrorScope;
}

/**
 * Records every message in Clarion's outbox (`GET /v1/outbox`) instead of sending it. Used for
 * every channel when no provider is configured and CLARION_DEFAULT_SANDBOX is on (the default of
 * the embedded start), so a newcomer sees results at once.
 */
export default defineAdapter<SandboxConfig>({
  name: 'sandbox',
  channel: 'email',
  channels: [...CHANNELS],
  local: true,
  description: 'Records messages in the outbox instead of sending them (development).',
  configSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      rejectAddresses: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 1000, description: 'Addresses refused with a permanent error, to rehearse fallbacks' },
      rejectScope: {
        enum: ['recipient', 'provider'],
        default: 'recipient',
        description: 'What the refusals are about: recipient (the fallback channel is tried) or provider (the next provider is tried)',
      },
    },
  },
  create(config, { host, providerId }) {
    const outbox = host.outbox;
    return {
      async send(message, { signal }) {
        if (signal.aborted) throw new TransientError('the send was aborted before it started', { code: 'aborted' });
        if (!outbox) throw new ConfigError('this Clarion offers no outbox to the sandbox adapter', { code: 'no_outbox' });
        const address = message.to.email ?? message.to.phone;
        if (address && config.rejectAddresses?.includes(address)) {
          throw new PermanentError(`sandbox rejects ${address}`, { code: 'sandbox_rejected', scope: config.rejectScope ?? 'recipient' });
        }
        const id = await outbox.record('sandbox', message, providerId);
        return { providerMessageId: `sandbox-${id}`, status: 'delivered' };
      },
    };
  },
});

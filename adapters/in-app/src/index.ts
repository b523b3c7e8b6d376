import { ConfigError, PermanentError, TransientError, defineAdapter } from '@clarion/adapter-kit';

/**
 * The in-app channel: stores the rendered message (title, body, url, actions) in the subscriber's
 * inbox, which the inbox API and the `<clarion-inbox>` component read. It needs no credentials
 * and serves the channel whenever the tenant configured no other in-app provider.
 */
export default defineAdapter<Record<string, never>>({
  name: 'in-app',
  channel: 'in_app',
  implicit: true,
  local: true,
  description: "Stores the message in the subscriber's in-app inbox.",
  configSchema: { type: 'object', additionalProperties: false, properties: {} },
  create(_config, { host }) {
    return {
      async send(message, { signal }) {
        if (signal.aborted) throw new TransientError('the send was aborted before it started', { code: 'aborted' });
        if (!host.inbox) throw new ConfigError('this Clarion offers no inbox to the in-app adapter', { code: 'no_inbox' });
        const { title, body, text } = message.content;
        if (!title && !body && !text) throw new PermanentError('the in-app template rendered neither a title nor a body', { code: 'empty_message', scope: 'recipient' });
        const id = await host.inbox.put(message);
        return { providerMessageId: id, status: 'delivered' };
      },
    };
  },
});

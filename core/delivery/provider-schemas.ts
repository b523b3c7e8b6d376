import { CHANNELS } from '@clarion/adapter-kit';
import { AnyObject, DateTime, Nullable, NullableDateTime, NullableString, OneOf, StringEnum, Type, Uuid, type Static } from '../kernel/schema.ts';

/**
 * A provider configuration as the API takes it and answers it, once: `providers.ts` validates
 * with these schemas (the adapter's own `configSchema` then checks `config`), `openapi.ts`
 * documents them, and `ProviderView` is the type of the answer.
 */

const priority = Type.Integer({ minimum: 0, maximum: 1000, description: 'Providers of a channel are tried in ascending priority (default 0)' });
const maxPerSecond = Nullable(Type.Integer({ minimum: 1, maximum: 100_000 }), {
  description: 'Throughput cap: at most this many messages per second through this provider, across all workers; null: none',
});
const name = Type.String({ maxLength: 200 });
/** One of perMessage, perSegment or perMinute (providers.ts checks that exactly one is given, and perMinute only for voice). */
export const providerPriceSchema = Type.Object(
  {
    currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217, in capitals (EUR, USD, ...)' }),
    perMessage: Type.Optional(Type.Number({ minimum: 0, maximum: 1000 })),
    perSegment: Type.Optional(Type.Number({ minimum: 0, maximum: 1000, description: 'SMS: per segment of the text, GSM-7 or UCS-2' })),
    perMinute: Type.Optional(Type.Number({
      minimum: 0, maximum: 1000,
      description: "Voice only: per started minute of an answered call (its duration rounded up to whole minutes), charged once the provider reports the duration (Twilio's status callback); unanswered calls cost nothing",
    })),
    byPrefix: Type.Optional(
      Type.Record(Type.String({ pattern: '^[1-9][0-9]{0,5}$' }), Type.Number({ minimum: 0, maximum: 1000 }), {
        maxProperties: 500,
        additionalProperties: false,
        description:
          "Prices by country: the recipient's number (E.164, its digits) starting with a key (a country calling code, or a longer prefix: `1`, `44`, `1787`) costs this per message, per segment or per minute (as the base is declared) instead; the longest key wins. Least-cost routing compares these.",
      }),
    ),
  },
  { additionalProperties: false },
);
const price = Nullable(providerPriceSchema, {
  description: "What a message through this provider costs (summed as cost in the analytics): one of perMessage, perSegment or (voice) perMinute; a price the provider reports itself (Twilio) wins; null: not declared",
});

export const providerInputSchema = Type.Object(
  {
    channel: StringEnum(CHANNELS),
    adapter: Type.String({ minLength: 1, description: 'An installed adapter (GET /v1/adapters)' }),
    name: Type.Optional(name),
    priority: Type.Optional(priority),
    enabled: Type.Optional(Type.Boolean({ description: 'Default true' })),
    maxPerSecond: Type.Optional(maxPerSecond),
    price: Type.Optional(price),
    config: AnyObject({ description: "Validated against the adapter's configSchema. A top-level value may be a reference, env:NAME or file:/path, where the operator allows it (CLARION_SECRET_REFS)" }),
  },
  { additionalProperties: false },
);

/** Channel and adapter cannot change: another provider is created for that. */
export const providerPatchSchema = Type.Object(
  {
    name: Type.Optional(Nullable(name)),
    priority: Type.Optional(priority),
    enabled: Type.Optional(Type.Boolean()),
    maxPerSecond: Type.Optional(maxPerSecond),
    price: Type.Optional(price),
    config: Type.Optional(AnyObject({ description: 'Merged into the stored config: secrets left out or sent masked keep their value; null removes a key' })),
  },
  { additionalProperties: false },
);

export const providerViewSchema = Type.Object({
  id: Uuid(),
  channel: StringEnum(CHANNELS),
  adapter: Type.String(),
  name: Nullable(Type.String()),
  priority: Type.Integer(),
  enabled: Type.Boolean(),
  maxPerSecond: Nullable(Type.Integer(), { description: 'Throughput cap in messages per second; null: none' }),
  price,
  config: AnyObject({ description: 'Secrets masked as ********' }),
  circuit: Type.Object({ state: StringEnum(['closed', 'open', 'half_open']), changedAt: NullableDateTime() }),
  lastError: Nullable(Type.String()),
  lastErrorAt: NullableDateTime({ description: 'When lastError happened (any provider error: transient, permanent or configuration)' }),
  createdAt: DateTime(),
  updatedAt: DateTime(),
});

/**
 * An installed channel adapter as `GET /v1/adapters` answers it (the registry's `list()`), once:
 * the document's `Adapter` and the type of the answer.
 */
export const adapterViewSchema = Type.Object({
  name: Type.String(),
  channel: StringEnum(CHANNELS),
  channels: Type.Array(StringEnum(CHANNELS)),
  implicit: Type.Boolean(),
  description: Type.Optional(Type.String()),
  packageName: Type.String(),
  configSchema: AnyObject(),
});
export type AdapterView = Static<typeof adapterViewSchema>;

/**
 * `POST /v1/providers/{id}/test`: where the test message goes, and what the provider said. The
 * route checks the body with the input schema; the answer is `testProvider`'s type.
 */
export const providerTestInputSchema = Type.Object({
  to: OneOf([Type.String({ description: 'An email address or an E.164 phone number' }), AnyObject({ description: 'A recipient: {email, phone, devices, chat}' })]),
});
export type ProviderTestInput = Static<typeof providerTestInputSchema>;

export const providerTestResultSchema = Type.Object({
  ok: Type.Literal(true),
  providerMessageId: NullableString(),
  status: StringEnum(['sent', 'delivered'], { description: '`delivered`: the provider confirmed delivery synchronously' }),
  details: Nullable(AnyObject(), { description: 'What the adapter reports of the send (segment count, encoding, accepted recipients...)' }),
  durationMs: Type.Integer({ minimum: 0 }),
});
export type ProviderTestResult = Static<typeof providerTestResultSchema>;

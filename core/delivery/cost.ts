import type { Channel, RenderedContent, SendResult } from '@clarion/adapter-kit';
import { smsSegments } from '@clarion/adapter-kit';
import type { ProviderPrice } from './providers.ts';
import { declaredAmount } from './routing.ts';

/**
 * What a message that went out cost: the provider's own figure where its answer gives one
 * (Twilio's `price`), otherwise the provider configuration's declared price (the recipient's
 * country's, `byPrefix`, where declared), per message or, for SMS, per segment (the adapter's segment count, or the text counted as GSM-7 or
 * UCS-2). Null when neither says.
 */
export function costOf(channel: Channel, result: SendResult, price: ProviderPrice | null | undefined, content: RenderedContent | undefined, phone?: string | null): { cost: number; currency: string } | null {
  if (result.price && Number.isFinite(result.price.amount)) return { cost: round(result.price.amount), currency: result.price.currency };
  // The recipient's country price (`byPrefix`) where declared, else the base one.
  const amount = declaredAmount(price, phone);
  if (!price || amount === undefined) return null;
  if (price.perMessage !== undefined) return { cost: round(amount), currency: price.currency };
  if (price.perSegment !== undefined) {
    const counted = result.details?.segments;
    const segments = typeof counted === 'number' && counted > 0 ? counted : segmentsOf(channel, content);
    return { cost: round(amount * segments), currency: price.currency };
  }
  // perMinute: unknown until the call ended (callCost, from the provider's status callback).
  return null;
}

/**
 * What a call cost at a per-minute price: its duration rounded up to whole minutes times the price
 * (the recipient's country's, `byPrefix`, where declared). Null when the price is not per minute.
 */
export function callCost(price: ProviderPrice | null | undefined, durationSeconds: number, phone?: string | null): { cost: number; currency: string } | null {
  const amount = declaredAmount(price, phone);
  if (!price || price.perMinute === undefined || amount === undefined || !Number.isFinite(durationSeconds) || durationSeconds < 0) return null;
  return { cost: round(Math.ceil(durationSeconds / 60) * amount), currency: price.currency };
}

function segmentsOf(channel: Channel, content: RenderedContent | undefined): number {
  const text = content?.text ?? content?.body ?? '';
  return channel === 'sms' ? Math.max(1, smsSegments(text).segments) : 1;
}

/** Stored with 6 decimals (numeric(14, 6)). */
const round = (value: number) => Math.round(value * 1e6) / 1e6;

import type { Channel, RenderedContent, SendResult } from '@clarion/adapter-kit';
import { smsSegments } from '@clarion/adapter-kit';
import type { ProviderPrice } from './providers.ts';

/**
 * What a message that went out cost: the provider's own figure where its answer gives one
 * (Twilio's `price`), otherwise the provider configuration's declared price, per message or, for
 * SMS, per segment (the adapter's segment count, or the text counted as GSM-7 or
 * UCS-2). Null when neither says.
 */
export function costOf(channel: Channel, result: SendResult, price: ProviderPrice | null | undefined, content: RenderedContent | undefined): { cost: number; currency: string } | null {
  if (result.price && Number.isFinite(result.price.amount)) return { cost: round(result.price.amount), currency: result.price.currency };
  if (!price) return null;
  if (price.perMessage !== undefined) return { cost: round(price.perMessage), currency: price.currency };
  if (price.perSegment !== undefined) {
    const counted = result.details?.segments;
    const segments = typeof counted === 'number' && counted > 0 ? counted : segmentsOf(channel, content);
    return { cost: round(price.perSegment * segments), currency: price.currency };
  }
  return null;
}

function segmentsOf(channel: Channel, content: RenderedContent | undefined): number {
  const text = content?.text ?? content?.body ?? '';
  return channel === 'sms' ? Math.max(1, smsSegments(text).segments) : 1;
}

/** Stored with 6 decimals (numeric(14, 6)). */
const round = (value: number) => Math.round(value * 1e6) / 1e6;

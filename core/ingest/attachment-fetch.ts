import { DestinationRefused, type OutboundPolicy } from '@clarion/adapter-kit';
import { parseMediaType } from './cloudevents.ts';

/**
 * Fetches an attachment given by URL (`data.attachments[i].url`), through the operator's outbound
 * policy: no private or metadata address (checked on the address connected to, so no DNS
 * rebinding), every redirect hop checked again (at most `MAX_REDIRECTS`), the tenant's size limit
 * enforced while the body streams (a `Content-Length` over it is refused before reading), its
 * accepted types checked on the answer's `Content-Type`, and one deadline for the whole fetch.
 * Failures are `AttachmentFetchError`s whose message says why, for the event's refusal.
 */

export const MAX_REDIRECTS = 5;

export interface FetchLimits {
  maxBytes: number;
  types: readonly string[];
  timeoutMs: number;
}

export class AttachmentFetchError extends Error {
  override name = 'AttachmentFetchError';
}

export interface FetchedFile {
  content: Buffer;
  /** The media type the server answered (lower case, without parameters), if any. */
  contentType: string | undefined;
}

export async function fetchAttachment(outbound: OutboundPolicy, url: string, limits: FetchLimits): Promise<FetchedFile> {
  const signal = AbortSignal.timeout(limits.timeoutMs);
  try {
    let target = url;
    for (let hop = 0; ; hop++) {
      const res = await outbound.fetch(target, { method: 'GET', signal, headers: { accept: limits.types.join(', ') } });
      if (res.status >= 300 && res.status < 400) {
        await res.body?.cancel();
        const location = res.headers.get('location');
        if (!location) throw new AttachmentFetchError(`the server answered ${res.status} without a Location`);
        if (hop >= MAX_REDIRECTS) throw new AttachmentFetchError(`more than ${MAX_REDIRECTS} redirects`);
        // Checked again by the guarded fetch: scheme, credentials, the addresses it resolves to.
        target = new URL(location, target).toString();
        continue;
      }
      if (res.status < 200 || res.status >= 300) {
        await res.body?.cancel();
        throw new AttachmentFetchError(`the server answered ${res.status}${hop > 0 ? ` (after ${hop} redirect${hop > 1 ? 's' : ''})` : ''}`);
      }
      const header = res.headers.get('content-type');
      const contentType = parseMediaType(header ?? undefined)?.essence || undefined;
      if (contentType && contentType !== 'application/octet-stream' && !limits.types.includes(contentType)) {
        await res.body?.cancel();
        throw new AttachmentFetchError(`the server answered ${contentType}, not one of the tenant's accepted types`);
      }
      const length = Number(res.headers.get('content-length') ?? Number.NaN);
      if (Number.isFinite(length) && length > limits.maxBytes) {
        await res.body?.cancel();
        throw new AttachmentFetchError(`the file is ${length} bytes, over the tenant's limit of ${limits.maxBytes}`);
      }
      return { content: await readCapped(res, limits.maxBytes), contentType };
    }
  } catch (err) {
    if (err instanceof AttachmentFetchError || err instanceof DestinationRefused) throw err;
    const cause = (err as { cause?: unknown }).cause;
    if (cause instanceof DestinationRefused) throw cause;
    if (signal.aborted) throw new AttachmentFetchError(`no complete answer within ${limits.timeoutMs} ms`);
    const code = (err as { code?: string }).code ?? (cause as { code?: string } | undefined)?.code;
    throw new AttachmentFetchError(`could not be fetched: ${code ?? (err as Error).message}`);
  }
}

/** The body, stopped (and the connection dropped) as soon as it goes over `maxBytes`. */
async function readCapped(res: Response, maxBytes: number): Promise<Buffer> {
  if (!res.body) return Buffer.alloc(0);
  const reader = res.body.getReader();
  const chunks: Buffer[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new AttachmentFetchError(`the file is over the tenant's limit of ${maxBytes} bytes`);
    }
    chunks.push(Buffer.from(value));
  }
  return Buffer.concat(chunks, size);
}

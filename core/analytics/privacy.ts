import ipaddr from 'ipaddr.js';

/**
 * What an interaction keeps of the person's request: the network (the address truncated to its
 * /24 for IPv4, /48 for IPv6, as web analytics anonymise it) and the user agent (capped), and
 * whether a machine rather than the person made it.
 */

/** The address with its host part zeroed: `203.0.113.77` -> `203.0.113.0`, `2001:db8:1:2::5` -> `2001:db8:1::`. Undefined for what is not an address. */
export function truncateIp(address: string | undefined | null): string | undefined {
  if (!address) return undefined;
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.process(address.replace(/^\[|\]$/g, '').replace(/%.*$/, ''));
  } catch {
    return undefined;
  }
  const bytes = parsed.toByteArray();
  const keep = parsed.kind() === 'ipv4' ? 3 : 6;
  const masked = bytes.map((b, i) => (i < keep ? b : 0));
  return ipaddr.fromByteArray(masked).toString();
}

/** The user agent as stored: at most 512 characters. */
export function userAgent(value: string | undefined | null): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed.slice(0, 512) : undefined;
}

/** Apple's own network (17.0.0.0/8), where Mail Privacy Protection's image proxy fetches from among others. */
const APPLE = ipaddr.parseCIDR('17.0.0.0/8');

/**
 * Whether a pixel fetch looks like a machine's preload rather than the person opening the email:
 * Apple Mail Privacy Protection fetches every image when the message arrives, through proxies that
 * send the bare user agent `Mozilla/5.0` (or come from Apple's 17.0.0.0/8); a fetch without any
 * user agent is no mail client either. Such opens are recorded, flagged, and not counted.
 */
export function isPrefetchedOpen(request: { userAgent?: string | null; ip?: string | null }): boolean {
  const agent = request.userAgent?.trim() ?? '';
  if (agent === '' || agent === 'Mozilla/5.0') return true;
  return inApple(request.ip);
}

/**
 * Whether a click looks like a link scanner's rather than the person's: scanners (mail security
 * gateways, Apple Mail's URL checks) commonly ask with HEAD, and a browser always sends a user agent.
 */
export function isPrefetchedClick(request: { method: string; userAgent?: string | null }): boolean {
  return request.method === 'HEAD' || !request.userAgent?.trim();
}

function inApple(address: string | undefined | null): boolean {
  if (!address) return false;
  try {
    const parsed = ipaddr.process(address);
    return parsed.kind() === 'ipv4' && (parsed as ipaddr.IPv4).match(APPLE as [ipaddr.IPv4, number]);
  } catch {
    return false;
  }
}

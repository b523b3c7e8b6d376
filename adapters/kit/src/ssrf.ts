import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import net, { type LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { ConfigError } from './errors.ts';

/**
 * The SSRF guard shared by everything in Clarion that calls a URL a tenant typed in (outgoing
 * webhooks, the `webhook` channel adapter): the host is resolved once, every address it resolves
 * to is checked, and the connection goes to the checked addresses only, so a DNS answer that
 * changes between the check and the connect (DNS rebinding) cannot reach anything else. The
 * `Host` header and the TLS server name stay the URL's host name.
 *
 * Refused unless allowed: loopback, private (RFC 1918, IPv6 ULA), link-local, CGNAT, multicast,
 * unspecified, documentation and reserved ranges, cloud metadata addresses, and the IPv6 forms
 * that embed an IPv4 address (IPv4-mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4
 * `2002::/16`) are judged by the address they embed. Redirects are never followed.
 */

export type AddressRange =
  | 'public'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'cgnat'
  | 'multicast'
  | 'metadata'
  | 'documentation'
  | 'reserved';

export interface AddressCheck {
  /** The address as given (zone and brackets removed). */
  address: string;
  /** The IPv4 address an IPv6 form embeds (IPv4-mapped, NAT64, 6to4), when there is one. */
  embedded?: string;
  range: AddressRange;
  /** Only public addresses are allowed without an allow-list or `allowPrivate`. */
  allowed: boolean;
  /** Why it is refused, for logs and attempt records: `10.0.0.1 is a private address`. */
  reason?: string;
}

const RANGE_LABEL: Record<AddressRange, string> = {
  public: 'public',
  unspecified: 'unspecified ("this host")',
  loopback: 'loopback',
  private: 'private',
  'link-local': 'link-local',
  cgnat: 'carrier-grade NAT (shared)',
  multicast: 'multicast',
  metadata: 'cloud metadata',
  documentation: 'documentation (never routed)',
  reserved: 'reserved',
};

type V4Rule = [base: string, bits: number, range: AddressRange];

// Order matters: the first match wins, so single metadata addresses come before their ranges.
const V4_RULES: V4Rule[] = [
  ['169.254.169.254', 32, 'metadata'], // AWS, GCP, Azure, OpenStack instance metadata
  ['169.254.170.2', 32, 'metadata'], // AWS ECS task metadata and credentials
  ['100.100.100.200', 32, 'metadata'], // Alibaba Cloud metadata
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'cgnat'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

type V6Rule = [base: string, bits: number, range: AddressRange | 'embedded-v4-12' | 'embedded-v4-2'];

const V6_RULES: V6Rule[] = [
  ['fd00:ec2::254', 128, 'metadata'], // AWS instance metadata over IPv6
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['::ffff:0:0', 96, 'embedded-v4-12'], // IPv4-mapped
  ['64:ff9b::', 96, 'embedded-v4-12'], // NAT64 well-known prefix
  ['64:ff9b:1::', 48, 'private'], // NAT64 local use
  ['::', 96, 'reserved'], // IPv4-compatible (deprecated)
  ['100::', 64, 'reserved'], // discard only
  ['2001:db8::', 32, 'documentation'],
  ['2001::', 23, 'reserved'], // IETF protocol assignments, Teredo
  ['2002::', 16, 'embedded-v4-2'], // 6to4
  ['fc00::', 7, 'private'], // unique local
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'private'], // site-local (deprecated)
  ['ff00::', 8, 'multicast'],
];

function parseV4(address: string): number | undefined {
  if (!net.isIPv4(address)) return undefined;
  return address.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function v4String(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function parseV6(address: string): Uint8Array | undefined {
  if (!net.isIPv6(address)) return undefined;
  let text = address;
  const groups: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  let tail: number[] = [];
  if (dotted) {
    const v4 = parseV4(dotted[1])!;
    tail = [v4 >>> 16, v4 & 0xffff];
    text = text.slice(0, -dotted[1].length);
    if (text.endsWith(':') && !text.endsWith('::')) text = text.slice(0, -1);
  }
  const [head, rest] = text.split('::');
  const toGroups = (part: string | undefined) => (part ? part.split(':').filter((g) => g !== '').map((g) => parseInt(g, 16)) : []);
  const front = toGroups(head);
  const back = [...toGroups(rest), ...tail];
  if (rest === undefined) groups.push(...front, ...back);
  else groups.push(...front, ...new Array(8 - front.length - back.length).fill(0), ...back);
  if (groups.length !== 8) return undefined;
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[i * 2] = g >> 8;
    bytes[i * 2 + 1] = g & 255;
  });
  return bytes;
}

function inV4(n: number, base: string, bits: number): boolean {
  if (bits === 0) return true;
  const mask = bits === 32 ? 0xffffffff : (~0 << (32 - bits)) >>> 0;
  return ((n & mask) >>> 0) === ((parseV4(base)! & mask) >>> 0);
}

function inV6(bytes: Uint8Array, base: string, bits: number): boolean {
  const other = parseV6(base)!;
  for (let i = 0; i < 16 && bits > 0; i += 1, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((bytes[i] & mask) !== (other[i] & mask)) return false;
  }
  return true;
}

function bare(address: string): string {
  let a = address.trim();
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  const zone = a.indexOf('%');
  return zone >= 0 ? a.slice(0, zone) : a;
}

/**
 * Classifies one IP address (v4 or v6, brackets and zone allowed). Throws a TypeError for
 * something that is not an IP address.
 */
export function checkAddress(ip: string): AddressCheck {
  const address = bare(ip);
  const v4 = parseV4(address);
  if (v4 !== undefined) return classifyV4(address, v4);
  const v6 = parseV6(address);
  if (!v6) throw new TypeError(`${JSON.stringify(ip)} is not an IP address`);
  if (!inV6(v6, '2000::', 3) && !V6_RULES.some(([base, bits]) => inV6(v6, base, bits))) {
    return refused(address, 'reserved');
  }
  for (const [base, bits, range] of V6_RULES) {
    if (!inV6(v6, base, bits)) continue;
    if (range === 'embedded-v4-12' || range === 'embedded-v4-2') {
      const at = range === 'embedded-v4-12' ? 12 : 2;
      const embedded = v4String(((v6[at] << 24) | (v6[at + 1] << 16) | (v6[at + 2] << 8) | v6[at + 3]) >>> 0);
      const inner = classifyV4(embedded, parseV4(embedded)!);
      return inner.allowed
        ? { address, embedded, range: 'public', allowed: true }
        : { address, embedded, range: inner.range, allowed: false, reason: `${address} embeds ${embedded}, ${described(inner.range)}` };
    }
    return range === 'public' ? { address, range, allowed: true } : refused(address, range);
  }
  return { address, range: 'public', allowed: true };
}

function classifyV4(address: string, n: number): AddressCheck {
  for (const [base, bits, range] of V4_RULES) if (inV4(n, base, bits)) return refused(address, range);
  return { address, range: 'public', allowed: true };
}

function described(range: AddressRange): string {
  const label = RANGE_LABEL[range];
  return `${/^[aeiou]/.test(label) ? 'an' : 'a'} ${label} address`;
}

function refused(address: string, range: AddressRange): AddressCheck {
  return { address, range, allowed: false, reason: `${address} is ${described(range)}` };
}

/** Hosts, addresses and ranges let through although they are not public. */
export interface AllowList {
  readonly entries: readonly string[];
  allowsHost(hostname: string): boolean;
  allowsAddress(address: string): boolean;
}

const HOST = /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/**
 * Parses allow-list entries: an IP address (`10.1.2.3`, `::1`), a CIDR range (`10.0.0.0/8`,
 * `fd00::/8`), a host name (`hooks.internal`) or every name under a domain (`*.internal.example`).
 * Throws a TypeError naming the first entry that is none of these.
 */
export function parseAllowList(entries: readonly string[]): AllowList {
  const blocks = new net.BlockList();
  const hosts = new Set<string>();
  const domains: string[] = [];
  const kept: string[] = [];
  for (const raw of entries) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    kept.push(entry);
    const cidr = /^\[?([^\]/]+)\]?\/(\d{1,3})$/.exec(entry);
    if (cidr) {
      const family = net.isIPv4(cidr[1]) ? 'ipv4' : net.isIPv6(cidr[1]) ? 'ipv6' : undefined;
      const bits = Number(cidr[2]);
      if (!family || bits > (family === 'ipv4' ? 32 : 128)) throw new TypeError(`allow-list entry "${raw}" is not a valid CIDR range`);
      blocks.addSubnet(cidr[1], bits, family);
      continue;
    }
    const address = bare(entry);
    if (net.isIP(address)) {
      blocks.addAddress(address, net.isIPv4(address) ? 'ipv4' : 'ipv6');
      continue;
    }
    const name = entry.replace(/\.$/, '');
    if (name.startsWith('*.') && HOST.test(name.slice(2))) {
      domains.push(name.slice(1));
      continue;
    }
    if (HOST.test(name)) {
      hosts.add(name);
      continue;
    }
    throw new TypeError(`allow-list entry "${raw}" is not a host name, *.domain, IP address or CIDR range`);
  }
  return {
    entries: kept,
    allowsHost(hostname) {
      const name = hostname.toLowerCase().replace(/\.$/, '');
      return hosts.has(name) || domains.some((suffix) => name.endsWith(suffix));
    },
    allowsAddress(address) {
      const check = checkAddress(address);
      const family = net.isIPv4(check.address) ? 'ipv4' : 'ipv6';
      return blocks.check(check.address, family) || (check.embedded !== undefined && blocks.check(check.embedded, 'ipv4'));
    },
  };
}

export type Lookup = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

export interface GuardOptions {
  /**
   * Lets loopback, private, link-local and other non-public addresses through (a laptop, a test
   * receiver). Cloud metadata addresses stay refused unless the allow-list names them.
   */
  allowPrivate?: boolean;
  /** Hosts, addresses or CIDR ranges allowed although not public (entries, or a parsed list). */
  allowList?: readonly string[] | AllowList;
  /** Resolves a host name to every address (default: the system resolver, all addresses). */
  lookup?: Lookup;
}

/** A destination the guard refused. A configuration problem of the URL, not a network hiccup. */
export class DestinationRefused extends ConfigError {
  override name = 'DestinationRefused';
  readonly host: string;
  readonly address: string;
  readonly range: AddressRange;

  constructor(host: string, check: AddressCheck) {
    const why = check.reason ?? `${check.address} is not allowed`;
    super(net.isIP(bare(host)) ? `refused: ${why}` : `refused: ${host} resolves to ${why.replace(/ is (an?) /, ', $1 ')}`, { code: 'DESTINATION_REFUSED' });
    this.host = host;
    this.address = check.address;
    this.range = check.range;
  }
}

function toAllowList(list: GuardOptions['allowList']): AllowList {
  if (!list) return parseAllowList([]);
  return Array.isArray(list) ? parseAllowList(list) : (list as AllowList);
}

/** Whether one resolved address may be connected to for `hostname` under these options. */
export function addressAllowed(address: string, hostname: string, options: GuardOptions = {}): AddressCheck {
  const check = checkAddress(address);
  if (check.allowed) return check;
  const allowList = toAllowList(options.allowList);
  if (allowList.allowsAddress(address) || (!net.isIP(bare(hostname)) && allowList.allowsHost(hostname))) return { ...check, allowed: true };
  if (options.allowPrivate && check.range !== 'metadata') return { ...check, allowed: true };
  return check;
}

/**
 * Checks what can be checked without DNS: an http(s) URL without credentials whose host, when it
 * is an IP address, is allowed. Returns the parsed URL. Throws `ConfigError` (code
 * `ERR_INVALID_URL`) or `DestinationRefused`.
 */
export function checkUrl(input: string | URL, options: GuardOptions = {}): URL {
  let url: URL;
  try {
    url = new URL(String(input));
  } catch {
    throw new ConfigError(`${JSON.stringify(String(input))} is not a valid URL`, { code: 'ERR_INVALID_URL' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`${url.protocol} URLs are not allowed: use http: or https:`, { code: 'ERR_INVALID_URL' });
  if (url.username || url.password) throw new ConfigError('URLs with credentials (user:password@) are not allowed', { code: 'ERR_INVALID_URL' });
  const host = bare(url.hostname);
  if (net.isIP(host)) {
    const verdict = addressAllowed(host, host, options);
    if (!verdict.allowed) throw new DestinationRefused(host, verdict);
  }
  return url;
}

async function resolveChecked(hostname: string, options: GuardOptions, signal: AbortSignal | undefined): Promise<Array<{ address: string; family: number }>> {
  const lookup = options.lookup ?? ((host: string) => dnsLookup(host, { all: true, order: 'verbatim' }));
  const pending = lookup(hostname);
  const addresses = signal
    ? await Promise.race([
        pending,
        new Promise<never>((_, reject) => {
          if (signal.aborted) reject(signal.reason);
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        }),
      ])
    : await pending;
  if (addresses.length === 0) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
  for (const { address } of addresses) {
    const verdict = addressAllowed(address, hostname, options);
    // One refused address refuses the host: a name answering both public and private addresses
    // is exactly what a rebinding attacker sets up.
    if (!verdict.allowed) throw new DestinationRefused(hostname, verdict);
  }
  return addresses.map((a) => ({ address: bare(a.address), family: a.family === 6 || net.isIPv6(bare(a.address)) ? 6 : 4 }));
}

async function encodeBody(body: RequestInit['body'], headers: Headers): Promise<Buffer | undefined> {
  if (body === undefined || body === null) return undefined;
  const setType = (type: string) => {
    if (!headers.has('content-type')) headers.set('content-type', type);
  };
  if (typeof body === 'string') {
    setType('text/plain;charset=UTF-8');
    return Buffer.from(body, 'utf8');
  }
  if (body instanceof URLSearchParams) {
    setType('application/x-www-form-urlencoded;charset=UTF-8');
    return Buffer.from(body.toString(), 'utf8');
  }
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof Blob) {
    if (body.type) setType(body.type);
    return Buffer.from(await body.arrayBuffer());
  }
  throw new TypeError('guardedFetch: the body must be a string, URLSearchParams, Blob, ArrayBuffer or typed array');
}

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * `fetch` through the SSRF guard. Same call shape as `fetch(url, init)`; redirects are never
 * followed (a 3xx comes back as the response, `redirect: 'error'` rejects), so every hop a caller
 * wants to make is checked again. Only http: and https: URLs; bodies as strings, URLSearchParams,
 * Blobs or bytes. Rejects with `DestinationRefused` (a `ConfigError`) before any connection when
 * the host or one of its addresses is not allowed; other failures reject like `fetch` (the abort
 * reason, or the network error with its `code`).
 */
export async function guardedFetch(input: string | URL, init: RequestInit = {}, options: GuardOptions = {}): Promise<Response> {
  const signal = init.signal ?? undefined;
  signal?.throwIfAborted();
  const guard = { ...options, allowList: toAllowList(options.allowList) };
  const url = checkUrl(input, guard);
  const hostname = bare(url.hostname);
  const literal = net.isIP(hostname) !== 0;
  const addresses = literal ? undefined : await resolveChecked(hostname, guard, signal);
  const headers = new Headers(init.headers);
  headers.delete('host');
  const body = await encodeBody(init.body, headers);
  if (body) headers.set('content-length', String(body.length));
  const method = (init.method ?? 'GET').toUpperCase();

  const pinned: LookupFunction = (_host, opts, callback) => {
    const list = addresses!;
    if ((opts as { all?: boolean }).all) (callback as (err: null, all: Array<{ address: string; family: number }>) => void)(null, list);
    else (callback as (err: null, address: string, family: number) => void)(null, list[0].address, list[0].family);
  };

  return new Promise<Response>((resolve, reject) => {
    const outgoing: Record<string, string> = {};
    headers.forEach((value, name) => {
      outgoing[name] = value;
    });
    const transport = url.protocol === 'https:' ? https : http;
    const req = transport.request({
      protocol: url.protocol,
      hostname,
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      method,
      headers: outgoing,
      agent: false,
      ...(literal ? {} : { lookup: pinned, servername: hostname }),
    });
    let settled = false;
    let responseStream: Readable | undefined;
    const onAbort = () => {
      const reason = signal!.reason;
      req.destroy(reason);
      responseStream?.destroy(reason);
      if (!settled) {
        settled = true;
        reject(reason);
      }
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const cleanup = () => signal?.removeEventListener('abort', onAbort);

    req.on('error', (err) => {
      cleanup();
      if (settled) return;
      settled = true;
      reject(signal?.aborted ? signal.reason : err);
    });
    req.on('response', (res) => {
      settled = true;
      const status = res.statusCode ?? 0;
      if (status < 200 || status > 599) {
        cleanup();
        res.destroy();
        reject(Object.assign(new Error(`the server answered an invalid HTTP status ${status}`), { code: 'ERR_INVALID_STATUS' }));
        return;
      }
      if (status >= 300 && status < 400 && init.redirect === 'error') {
        cleanup();
        res.destroy();
        reject(new TypeError(`redirect to ${res.headers.location ?? '(no location)'} refused (redirect: 'error')`));
        return;
      }
      const responseHeaders = new Headers();
      for (let i = 0; i < res.rawHeaders.length; i += 2) {
        try {
          responseHeaders.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
        } catch {
          // A header value fetch cannot represent is dropped, as fetch itself would refuse it.
        }
      }
      res.once('close', cleanup);
      if (method === 'HEAD' || NULL_BODY_STATUSES.has(status)) {
        res.resume();
        resolve(new Response(null, { status, statusText: res.statusMessage, headers: responseHeaders }));
        return;
      }
      let stream: Readable = res;
      const encoding = String(res.headers['content-encoding'] ?? '').trim().toLowerCase();
      const decoder = encoding === 'gzip' || encoding === 'x-gzip' ? zlib.createGunzip() : encoding === 'deflate' ? zlib.createInflate() : encoding === 'br' ? zlib.createBrotliDecompress() : undefined;
      if (decoder) {
        res.on('error', (err) => decoder.destroy(err));
        stream = res.pipe(decoder);
      }
      responseStream = stream;
      resolve(new Response(Readable.toWeb(stream) as ReadableStream, { status, statusText: res.statusMessage, headers: responseHeaders }));
    });
    req.end(body);
  });
}

/** A `fetch` bound to guard options, for code that takes a fetch function (adapters). */
export function createGuardedFetch(options: GuardOptions): typeof fetch {
  const guard = { ...options, allowList: toAllowList(options.allowList) };
  return ((input: string | URL | Request, init?: RequestInit) => {
    if (input instanceof Request) throw new TypeError('guardedFetch takes a URL and an init object, not a Request');
    return guardedFetch(input, init, guard);
  }) as typeof fetch;
}

import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector, type Dispatcher } from 'undici';
import { ConfigError } from './errors.ts';

/**
 * The outbound network policy: one guard for every connection Clarion opens on a tenant's behalf
 * (channel adapters, SDKs, SMTP, outgoing webhooks). The operator sets it; nothing a tenant
 * configures can widen it.
 *
 * - Address ranges come from `ipaddr.js`; only global unicast addresses are reachable unless the
 *   operator allows private ranges or allow-lists hosts, addresses or CIDR ranges.
 * - Cloud metadata addresses are never reachable, whatever the policy says, in any encoding: the
 *   WHATWG URL parser turns decimal, octal and hex IPv4 forms into dotted quads, and IPv6 forms
 *   that embed an IPv4 address (IPv4-mapped, IPv4-translated, NAT64 `64:ff9b::/96`, 6to4) are
 *   judged by the address they embed.
 * - Connections are checked when they are made, by the resolver the socket uses (`lookup`) and,
 *   for literal addresses, before connecting: the address checked is the address connected to
 *   (no DNS rebinding between check and connect), for undici (`fetch`), for node's http(s)
 *   agents (SDKs that take an agent) and for plain TCP (SMTP).
 * - Redirects are never followed by the guarded fetch: a 3xx comes back to the caller, so a hop
 *   a caller chooses to make is checked again.
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

/**
 * Instance metadata and credential services of the clouds: AWS, GCP, Azure, OpenStack
 * (169.254.169.254 and its IPv6 twin), AWS ECS task credentials, EKS pod identity, Alibaba Cloud,
 * Azure's WireServer (a public address that answers only from inside Azure).
 */
const METADATA = new Set(
  ['169.254.169.254', '169.254.170.2', '169.254.170.23', '100.100.100.200', '168.63.129.16', 'fd00:ec2::254', 'fd00:ec2::23'].map((a) => ipaddr.parse(a).toString()),
);

/** ipaddr.js files documentation prefixes under `reserved`; they are told apart for clearer messages. */
const DOCUMENTATION = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '2001:db8::/32'].map((c) => ipaddr.parseCIDR(c));

const V4_RANGE: Record<string, AddressRange> = {
  unicast: 'public',
  unspecified: 'unspecified',
  broadcast: 'reserved',
  multicast: 'multicast',
  linkLocal: 'link-local',
  loopback: 'loopback',
  carrierGradeNat: 'cgnat',
  private: 'private',
};

const V6_RANGE: Record<string, AddressRange> = {
  unicast: 'public',
  unspecified: 'unspecified',
  linkLocal: 'link-local',
  multicast: 'multicast',
  loopback: 'loopback',
  uniqueLocal: 'private',
  deprecatedSiteLocal: 'private',
};

const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');

function bare(address: string): string {
  let a = address.trim();
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  const zone = a.indexOf('%');
  return zone >= 0 ? a.slice(0, zone) : a;
}

/**
 * ipaddr.js reads `::a.b.c.d` (IPv4-compatible, deprecated) as IPv4-mapped `::ffff:a.b.c.d`;
 * written `0::a.b.c.d` it reads it as it is, which is what a socket would connect to.
 */
function parseIp(address: string): ipaddr.IPv4 | ipaddr.IPv6 {
  return ipaddr.parse(/^::\d+\.\d+\.\d+\.\d+$/.test(address) ? `0${address}` : address);
}

function matches(address: ipaddr.IPv4 | ipaddr.IPv6, [base, bits]: [ipaddr.IPv4 | ipaddr.IPv6, number]): boolean {
  return address.kind() === base.kind() && address.match(base, bits);
}

/** The IPv4 address an IPv6 form carries, for the forms that route to it. */
function embeddedV4(v6: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const p = v6.parts;
  const last32 = () => ipaddr.IPv4.parse(`${p[6] >> 8}.${p[6] & 255}.${p[7] >> 8}.${p[7] & 255}`);
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address();
  // ::ffff:0:a.b.c.d (IPv4-translated, RFC 6145) and 64:ff9b::a.b.c.d (NAT64, RFC 6052).
  if (p.slice(0, 4).every((g) => g === 0) && p[4] === 0xffff && p[5] === 0) return last32();
  if (p[0] === 0x64 && p[1] === 0xff9b && p.slice(2, 6).every((g) => g === 0)) return last32();
  // 6to4: 2002:AABB:CCDD::/48 carries AA.BB.CC.DD.
  if (p[0] === 0x2002) return ipaddr.IPv4.parse(`${p[1] >> 8}.${p[1] & 255}.${p[2] >> 8}.${p[2] & 255}`);
  return undefined;
}

function rangeOf(parsed: ipaddr.IPv4 | ipaddr.IPv6): AddressRange {
  if (METADATA.has(parsed.toString())) return 'metadata';
  if (DOCUMENTATION.some((cidr) => matches(parsed, cidr))) return 'documentation';
  if (parsed.kind() === 'ipv4') return V4_RANGE[parsed.range()] ?? 'reserved';
  const range = V6_RANGE[parsed.range()] ?? 'reserved';
  // Outside 2000::/3 nothing is global unicast (the IPv4-compatible ::a.b.c.d among them).
  if (range === 'public' && !matches(parsed, GLOBAL_UNICAST_V6)) return 'reserved';
  return range;
}

/**
 * Classifies one IP address (v4 or v6, brackets and zone allowed). Throws a TypeError for
 * something that is not an IP address in its standard form.
 */
export function checkAddress(ip: string): AddressCheck {
  const address = bare(ip);
  if (net.isIP(address) === 0) throw new TypeError(`${JSON.stringify(ip)} is not an IP address`);
  const parsed = parseIp(address);
  if (parsed.kind() === 'ipv6') {
    const inner = embeddedV4(parsed as ipaddr.IPv6);
    if (inner) {
      const embedded = inner.toString();
      const range = rangeOf(inner);
      return range === 'public'
        ? { address, embedded, range: 'public', allowed: true }
        : { address, embedded, range, allowed: false, reason: `${address} embeds ${embedded}, ${described(range)}` };
    }
  }
  const range = rangeOf(parsed);
  return range === 'public' ? { address, range, allowed: true } : { address, range, allowed: false, reason: `${address} is ${described(range)}` };
}

function described(range: AddressRange): string {
  const label = RANGE_LABEL[range];
  return `${/^[aeiou]/.test(label) ? 'an' : 'a'} ${label} address`;
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
 * Throws a TypeError naming the first entry that is none of these, or that names a cloud
 * metadata address (never reachable).
 */
export function parseAllowList(entries: readonly string[]): AllowList {
  const ranges: Array<[ipaddr.IPv4 | ipaddr.IPv6, number]> = [];
  const hosts = new Set<string>();
  const domains: string[] = [];
  const kept: string[] = [];
  for (const raw of entries) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    kept.push(entry);
    const cidr = /^\[?([^\]/]+)\]?\/(\d{1,3})$/.exec(entry);
    if (cidr) {
      if (net.isIP(cidr[1]) === 0 || !ipaddr.isValidCIDR(`${cidr[1]}/${cidr[2]}`)) throw new TypeError(`allow-list entry "${raw}" is not a valid CIDR range`);
      ranges.push(ipaddr.parseCIDR(`${cidr[1]}/${cidr[2]}`));
      continue;
    }
    const address = bare(entry);
    if (net.isIP(address)) {
      const parsed = parseIp(address);
      if (checkAddress(address).range === 'metadata') throw new TypeError(`allow-list entry "${raw}" is a cloud metadata address, which is never reachable`);
      ranges.push([parsed, parsed.kind() === 'ipv4' ? 32 : 128]);
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
      const parsed = parseIp(bare(address));
      const inner = parsed.kind() === 'ipv6' ? embeddedV4(parsed as ipaddr.IPv6) : undefined;
      return ranges.some((range) => matches(parsed, range) || (inner !== undefined && matches(inner, range)));
    },
  };
}

export type Lookup = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

export interface GuardOptions {
  /**
   * Lets loopback, private, link-local and other non-public addresses through (a laptop, a test
   * receiver). Cloud metadata addresses stay refused.
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
  if (check.allowed || check.range === 'metadata') return check;
  const allowList = toAllowList(options.allowList);
  if (allowList.allowsAddress(address) || (net.isIP(bare(hostname)) === 0 && allowList.allowsHost(hostname))) return { ...check, allowed: true };
  if (options.allowPrivate) return { ...check, allowed: true };
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
  checkHost(url.hostname, options);
  return url;
}

/** Checks a host name or literal address without DNS (a literal address must be allowed). */
export function checkHost(host: string, options: GuardOptions = {}): void {
  const name = bare(host);
  if (net.isIP(name) === 0) return;
  const verdict = addressAllowed(name, name, options);
  if (!verdict.allowed) throw new DestinationRefused(name, verdict);
}

/**
 * Resolves a host (or takes a literal address) and checks every address. One refused address
 * refuses the host: a name answering both public and private addresses is exactly what a
 * rebinding attacker sets up.
 */
async function resolveChecked(hostname: string, options: GuardOptions & { allowList: AllowList }, signal?: AbortSignal): Promise<LookupAddress[]> {
  const name = bare(hostname);
  if (net.isIP(name)) {
    checkHost(name, options);
    return [{ address: name, family: net.isIP(name) }];
  }
  const lookup = options.lookup ?? ((host: string) => dnsLookup(host, { all: true, order: 'verbatim' }));
  const pending = lookup(name);
  const addresses = signal
    ? await Promise.race([
        pending,
        new Promise<never>((_, reject) => {
          if (signal.aborted) reject(signal.reason);
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        }),
      ])
    : await pending;
  if (addresses.length === 0) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND', hostname: name });
  for (const { address } of addresses) {
    const verdict = addressAllowed(address, name, options);
    if (!verdict.allowed) throw new DestinationRefused(name, verdict);
  }
  return addresses.map((a) => ({ address: bare(a.address), family: net.isIPv6(bare(a.address)) ? 6 : 4 }));
}

/** The resolver sockets use (node's `lookup` signature): resolves and checks. */
function guardedLookup(options: GuardOptions & { allowList: AllowList }): net.LookupFunction {
  return ((hostname: string, opts: { all?: boolean; family?: number | string }, callback: (...args: unknown[]) => void) => {
    resolveChecked(hostname, options).then(
      (all) => {
        const family = opts?.family === 'IPv4' ? 4 : opts?.family === 'IPv6' ? 6 : Number(opts?.family ?? 0);
        const wanted = family === 4 || family === 6 ? all.filter((a) => a.family === family) : all;
        if (wanted.length === 0) return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname }));
        if (opts?.all) callback(null, wanted);
        else callback(null, wanted[0].address, wanted[0].family);
      },
      (err) => callback(err),
    );
  }) as unknown as net.LookupFunction;
}

/** What an adapter gets for the connections it opens itself (SDKs, SMTP): the operator's policy. */
export interface OutboundAccess {
  /** Checks a URL without DNS (scheme, credentials, literal addresses). Throws ConfigError / DestinationRefused. */
  checkUrl(url: string | URL): URL;
  /** Checks a host name or literal address without DNS. Throws DestinationRefused. */
  checkHost(host: string): void;
  /** A TCP connection to host:port through the policy (resolved, checked, pinned). */
  connect(options: { host: string; port: number; signal?: AbortSignal; timeoutMs?: number }): Promise<net.Socket>;
  /** For SDKs that take node agents (keep-alive, checked at every connection). */
  httpAgent: http.Agent;
  httpsAgent: https.Agent;
}

export interface OutboundPolicy extends OutboundAccess {
  readonly allowPrivate: boolean;
  readonly allowList: AllowList;
  /** `fetch` through the policy; redirects are never followed (a 3xx is returned, `redirect: 'error'` rejects). */
  fetch: typeof fetch;
  /** The undici dispatcher behind `fetch`. */
  dispatcher: Dispatcher;
  /** Whether one resolved address may be connected to for `hostname`. */
  allows(address: string, hostname?: string): AddressCheck;
  close(): Promise<void>;
}

/** Builds the guard for every outbound connection from the operator's settings. */
export function createOutboundPolicy(options: GuardOptions = {}): OutboundPolicy {
  const guard = { ...options, allowPrivate: options.allowPrivate ?? false, allowList: toAllowList(options.allowList) };
  const lookup = guardedLookup(guard);

  const connector = buildConnector({ lookup, timeout: 10_000 } as buildConnector.BuildOptions);
  const dispatcher = new Agent({
    connect(opts, callback) {
      try {
        checkHost(opts.hostname, guard);
      } catch (err) {
        callback(err as Error, null);
        return;
      }
      connector(opts, callback);
    },
  });

  /** Node agents for SDKs: the lookup checks names; literal addresses are checked before connecting. */
  const guardAgent = <A extends http.Agent>(agent: A): A => {
    const create = (agent as unknown as { createConnection: (options: { host?: string }, cb?: (err: Error | null, socket?: Duplex) => void) => Duplex | undefined }).createConnection.bind(agent);
    (agent as unknown as { createConnection: typeof create }).createConnection = (opts, cb) => {
      try {
        checkHost(opts.host ?? 'localhost', guard);
      } catch (err) {
        if (cb) {
          process.nextTick(cb, err as Error);
          return undefined;
        }
        throw err;
      }
      return create(opts, cb);
    };
    return agent;
  };
  const httpAgent = guardAgent(new http.Agent({ keepAlive: true, lookup }));
  const httpsAgent = guardAgent(new https.Agent({ keepAlive: true, lookup }));

  const guardedFetch = (async (input: string | URL | Request, init: RequestInit = {}) => {
    if (input instanceof Request) throw new TypeError('the guarded fetch takes a URL and an init object, not a Request');
    const url = checkUrl(input, guard);
    try {
      return await fetch(url, { ...init, redirect: init.redirect === 'error' ? 'error' : 'manual', dispatcher } as unknown as RequestInit);
    } catch (err) {
      // undici wraps connection errors in `TypeError: fetch failed`; a refusal is told as such.
      const cause = (err as { cause?: unknown }).cause;
      if (cause instanceof DestinationRefused) throw cause;
      throw err;
    }
  }) as typeof fetch;

  return {
    allowPrivate: guard.allowPrivate,
    allowList: guard.allowList,
    fetch: guardedFetch,
    dispatcher,
    httpAgent,
    httpsAgent,
    allows: (address, hostname = address) => addressAllowed(address, hostname, guard),
    checkUrl: (url) => checkUrl(url, guard),
    checkHost: (host) => checkHost(host, guard),
    async connect({ host, port, signal, timeoutMs = 30_000 }) {
      const addresses = await resolveChecked(host, guard, signal);
      signal?.throwIfAborted();
      return new Promise<net.Socket>((resolve, reject) => {
        // The checked addresses only: the socket's own lookup answers with them.
        const pinned = ((_h: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) =>
          opts?.all ? cb(null, addresses) : cb(null, addresses[0].address, addresses[0].family)) as unknown as net.LookupFunction;
        const literal = net.isIP(bare(host)) !== 0;
        const socket = net.connect({ host: literal ? bare(host) : host, port, lookup: pinned, autoSelectFamily: addresses.length > 1, timeout: timeoutMs });
        const fail = (err: unknown) => {
          socket.destroy();
          reject(err);
        };
        const onAbort = () => fail(signal!.reason);
        signal?.addEventListener('abort', onAbort, { once: true });
        socket.once('timeout', () => fail(Object.assign(new Error(`connection to ${host}:${port} timed out`), { code: 'ETIMEDOUT' })));
        socket.once('error', fail);
        socket.once('connect', () => {
          signal?.removeEventListener('abort', onAbort);
          socket.removeListener('error', fail);
          socket.setTimeout(0);
          resolve(socket);
        });
      });
    },
    async close() {
      httpAgent.destroy();
      httpsAgent.destroy();
      await dispatcher.close();
    },
  };
}

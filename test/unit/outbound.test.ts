import { once } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import net from 'node:net';
import { ConfigError, DestinationRefused, checkAddress, checkUrl, createOutboundPolicy, parseAllowList } from '@clarion/adapter-kit';
import type { GuardOptions, OutboundPolicy } from '@clarion/adapter-kit';

// A self-signed certificate for receiver.test (EC P-256, valid until 2126), only for the TLS test.
const RECEIVER_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgm/ZO46a8sqbtgwEd
ACHsQ6jxwufIOH/cE1f4z+qDmGOhRANCAAS7XdETkmT/MxC5FlkBgqm3N6COPgNk
tDzj4CPhdpC4OqiJ5RTKhR+AJSg6rjtfD0Ue+AfwWOKRoUpeRV5fAlG/
-----END PRIVATE KEY-----`;
const RECEIVER_CERT = `-----BEGIN CERTIFICATE-----
MIIBoTCCAUegAwIBAgIUI57V9u/01nK5LuLA98DYSa+M4+QwCgYIKoZIzj0EAwIw
GDEWMBQGA1UEAwwNcmVjZWl2ZXIudGVzdDAgFw0yNjExMjIwMDMwMjJaGA8yMTI2
MTAyOTAwMzAyMlowGDEWMBQGA1UEAwwNcmVjZWl2ZXIudGVzdDBZMBMGByqGSM49
AgEGCCqGSM49AwEHA0IABLtd0ROSZP8zELkWWQGCqbc3oI4+A2S0POPgI+F2kLg6
qInlFMqFH4AlKDquO18PRR74B/BY4pGhSl5FXl8CUb+jbTBrMB0GA1UdDgQWBBTt
nIcBeDHMOqfqIy2HJp2Cyu3QGjAfBgNVHSMEGDAWgBTtnIcBeDHMOqfqIy2HJp2C
yu3QGjAPBgNVHRMBAf8EBTADAQH/MBgGA1UdEQQRMA+CDXJlY2VpdmVyLnRlc3Qw
CgYIKoZIzj0EAwIDSAAwRQIgdosTHPOkl8H/fTtSU178g5W0BBJNo5qKdHp1VA5n
bC8CIQD3Ft+Qb8doHfPYmYrKV9FYcZQNgg+sXQrgHo3CXpQ2Pw==
-----END CERTIFICATE-----`;

/** A loopback server recording what reached it; `reply` decides the answer. */
async function server(reply: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void = (_req, res) => res.end('ok')) {
  const seen: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }> = [];
  const srv = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      reply(req, res, body);
    });
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as AddressInfo).port;
  return { seen, port, close: () => new Promise<void>((resolve) => srv.close(() => resolve())) };
}

const policies: OutboundPolicy[] = [];
/** A policy for one test (closed after it). */
function policy(options: GuardOptions = {}): OutboundPolicy {
  const made = createOutboundPolicy(options);
  policies.push(made);
  return made;
}
const guardedFetch = (url: string, init: RequestInit = {}, options: GuardOptions = {}) => policy(options).fetch(url, init);
/** The network error under undici's `TypeError: fetch failed`. */
const cause = (err: unknown) => ((err as { cause?: unknown }).cause ?? err) as NodeJS.ErrnoException;

async function refusal(promise: Promise<unknown>): Promise<DestinationRefused> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(DestinationRefused);
    expect(err).to.be.instanceOf(ConfigError);
    return err as DestinationRefused;
  }
  throw new Error('expected the guard to refuse');
}

describe('outbound network policy (adapter kit)', () => {
  describe('checkAddress', () => {
    const refused: Array<[string, string]> = [
      ['127.0.0.1', 'loopback'],
      ['127.255.0.9', 'loopback'],
      ['10.0.0.1', 'private'],
      ['172.16.5.4', 'private'],
      ['172.31.255.255', 'private'],
      ['192.168.1.1', 'private'],
      ['169.254.169.254', 'metadata'],
      ['169.254.170.2', 'metadata'],
      ['169.254.1.1', 'link-local'],
      ['100.64.0.1', 'cgnat'],
      ['100.127.255.254', 'cgnat'],
      ['0.0.0.0', 'unspecified'],
      ['224.0.0.1', 'multicast'],
      ['255.255.255.255', 'reserved'],
      ['192.0.2.10', 'documentation'],
      ['::1', 'loopback'],
      ['::', 'unspecified'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:7f00:1', 'loopback'],
      ['[::ffff:127.0.0.1]', 'loopback'],
      ['::ffff:10.0.0.1', 'private'],
      ['::ffff:169.254.169.254', 'metadata'],
      ['64:ff9b::a00:1', 'private'],
      ['2002:7f00:1::1', 'loopback'],
      ['fd00:ec2::254', 'metadata'],
      ['fc00::1', 'private'],
      ['fd12:3456::1', 'private'],
      ['fe80::1', 'link-local'],
      ['fe80::1%eth0', 'link-local'],
      ['ff02::1', 'multicast'],
      ['2001:db8::1', 'documentation'],
      ['::127.0.0.1', 'reserved'],
    ];
    for (const [address, range] of refused) {
      it(`refuses ${address} (${range})`, () => {
        const check = checkAddress(address);
        expect(check.allowed, address).to.equal(false);
        expect(check.range).to.equal(range);
        expect(check.reason).to.match(new RegExp(`${range === 'cgnat' ? 'carrier-grade' : range.split('-')[0]}`));
      });
    }

    for (const address of ['8.8.8.8', '1.1.1.1', '93.184.215.14', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808']) {
      it(`allows the public address ${address}`, () => {
        expect(checkAddress(address)).to.include({ allowed: true, range: 'public' });
      });
    }

    it('names the embedded address of IPv4-mapped forms', () => {
      expect(checkAddress('::ffff:7f00:1')).to.include({ embedded: '127.0.0.1', reason: '::ffff:7f00:1 embeds 127.0.0.1, a loopback address' });
    });

    it('throws on something that is not an IP address', () => {
      expect(() => checkAddress('example.com')).to.throw(TypeError, /not an IP address/);
      expect(() => checkAddress('999.1.1.1')).to.throw(TypeError);
    });
  });

  describe('parseAllowList', () => {
    it('reads addresses, CIDR ranges, host names and *.domains', () => {
      const list = parseAllowList(['10.0.0.0/8', ' 127.0.0.1 ', '::1', 'fd00::/8', 'Hooks.Internal', '*.corp.example', '']);
      expect(list.allowsAddress('10.9.8.7')).to.equal(true);
      expect(list.allowsAddress('::ffff:10.1.1.1')).to.equal(true);
      expect(list.allowsAddress('127.0.0.1')).to.equal(true);
      expect(list.allowsAddress('127.0.0.2')).to.equal(false);
      expect(list.allowsAddress('fd12::1')).to.equal(true);
      expect(list.allowsAddress('192.168.0.1')).to.equal(false);
      expect(list.allowsHost('hooks.internal')).to.equal(true);
      expect(list.allowsHost('a.b.corp.example')).to.equal(true);
      expect(list.allowsHost('corp.example')).to.equal(false);
      expect(list.allowsHost('evilcorp.example')).to.equal(false);
    });

    it('refuses entries that are none of these', () => {
      expect(() => parseAllowList(['10.0.0.0/33'])).to.throw(TypeError, /not a valid CIDR range/);
      expect(() => parseAllowList(['http://x'])).to.throw(TypeError, /"http:\/\/x" is not a host name/);
    });
  });

  describe('checkUrl', () => {
    it('accepts public http(s) URLs and host names (checked at connect time)', () => {
      expect(checkUrl('https://hooks.example.com/x?y=1').href).to.equal('https://hooks.example.com/x?y=1');
      expect(checkUrl('http://8.8.8.8/').hostname).to.equal('8.8.8.8');
    });

    it('refuses other schemes, credentials and private literal addresses in any spelling', () => {
      expect(() => checkUrl('ftp://example.com/')).to.throw(ConfigError, /ftp: URLs are not allowed/);
      expect(() => checkUrl('https://user:pw@example.com/')).to.throw(ConfigError, /credentials/);
      expect(() => checkUrl('not a url')).to.throw(ConfigError, /not a valid URL/);
      for (const url of ['http://127.0.0.1/', 'http://2130706433/', 'http://0x7f.1/', 'http://[::ffff:127.0.0.1]/', 'http://[::1]:8080/', 'http://0.0.0.0/']) {
        expect(() => checkUrl(url), url).to.throw(DestinationRefused);
      }
      expect(() => checkUrl('http://127.0.0.1/', { allowPrivate: true })).to.not.throw();
      expect(() => checkUrl('http://169.254.169.254/', { allowPrivate: true }), 'metadata stays refused').to.throw(DestinationRefused, /cloud metadata/);
    });

    it('never lets a cloud metadata address through, in any encoding, whatever the policy', () => {
      const open = { allowPrivate: true, allowList: ['169.254.0.0/16', '0.0.0.0/0', '::/0'] };
      for (const url of [
        'http://169.254.169.254/', 'http://2852039166/', 'http://0xA9FEA9FE/', 'http://0251.0376.0251.0376/', 'http://169.254.43518/',
        'http://[::ffff:169.254.169.254]/', 'http://[::ffff:a9fe:a9fe]/', 'http://[64:ff9b::a9fe:a9fe]/', 'http://[2002:a9fe:a9fe::1]/',
        'http://[::ffff:0:a9fe:a9fe]/', 'http://[fd00:ec2::254]/', 'http://100.100.100.200/', 'http://169.254.170.2/', 'http://[fd00:ec2:0::254]/',
      ]) {
        expect(() => checkUrl(url, open), url).to.throw(DestinationRefused, /cloud metadata/);
      }
    });

    it('refuses a metadata address in an allow-list', () => {
      expect(() => parseAllowList(['169.254.169.254'])).to.throw(TypeError, /cloud metadata address, which is never reachable/);
      expect(() => parseAllowList(['fd00:ec2::254'])).to.throw(TypeError, /cloud metadata/);
    });
  });

  afterEach(async () => {
    await Promise.all(policies.splice(0).map((p) => p.close()));
  });

  describe('fetch', () => {
    let srv: Awaited<ReturnType<typeof server>>;
    beforeEach(async () => {
      srv = await server((req, res, body) => {
        if (req.url === '/redirect') {
          res.writeHead(302, { location: `http://127.0.0.1:${srv.port}/target` }).end('moved');
        } else if (req.url === '/gzip') {
          res.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'text/plain' }).end(gzipSync('unzipped text'));
        } else {
          res.writeHead(201, { 'content-type': 'application/json', 'x-reply': 'yes' }).end(JSON.stringify({ got: body, host: req.headers.host }));
        }
      });
    });
    afterEach(() => srv.close());

    it('refuses 127.0.0.1 without connecting', async () => {
      const err = await refusal(guardedFetch(`http://127.0.0.1:${srv.port}/`));
      expect(err).to.include({ address: '127.0.0.1', range: 'loopback', code: 'DESTINATION_REFUSED' });
      expect(err.message).to.equal('refused: 127.0.0.1 is a loopback address');
      expect(srv.seen).to.have.length(0);
    });

    it('refuses [::ffff:127.0.0.1], the IPv4-mapped form of loopback', async () => {
      const err = await refusal(guardedFetch(`http://[::ffff:127.0.0.1]:${srv.port}/`));
      expect(err.range).to.equal('loopback');
      expect(err.message).to.match(/embeds 127\.0\.0\.1, a loopback address/);
      expect(srv.seen).to.have.length(0);
    });

    it('refuses the cloud metadata address 169.254.169.254', async () => {
      const err = await refusal(guardedFetch('http://169.254.169.254/latest/meta-data/'));
      expect(err.range).to.equal('metadata');
    });

    it('refuses the private address 10.0.0.1', async () => {
      const err = await refusal(guardedFetch('http://10.0.0.1/hook', { method: 'POST', body: 'x' }));
      expect(err).to.include({ address: '10.0.0.1', range: 'private' });
    });

    it('refuses a host name that resolves to a private address', async () => {
      const lookup = async () => [{ address: '10.1.2.3', family: 4 }];
      const err = await refusal(guardedFetch('https://hooks.attacker.example/x', {}, { lookup }));
      expect(err.message).to.equal('refused: hooks.attacker.example resolves to 10.1.2.3, a private address');
      expect(err.host).to.equal('hooks.attacker.example');
    });

    it('refuses localhost as the system resolver answers it', async () => {
      await refusal(guardedFetch(`http://localhost:${srv.port}/`));
      expect(srv.seen).to.have.length(0);
    });

    it('refuses a host when any one of its addresses is private', async () => {
      const lookup = async () => [
        { address: '93.184.215.14', family: 4 },
        { address: '::ffff:192.168.0.10', family: 6 },
      ];
      const err = await refusal(guardedFetch('https://mixed.example/', {}, { lookup }));
      expect(err.range).to.equal('private');
    });

    it('lets loopback through with allowPrivate, but never the metadata address', async () => {
      const res = await guardedFetch(`http://127.0.0.1:${srv.port}/ok`, {}, { allowPrivate: true });
      expect(res.status).to.equal(201);
      await refusal(guardedFetch('http://169.254.169.254/', {}, { allowPrivate: true }));
    });

    it('connects to the checked address, resolving once, keeping the Host header', async () => {
      let lookups = 0;
      // A rebinding resolver: the first answer passes the allow-list, any later one would not.
      const lookup = async () => (lookups++ === 0 ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '10.0.0.1', family: 4 }]);
      const res = await guardedFetch(`http://receiver.test:${srv.port}/hook?a=1`, { method: 'POST', body: 'hello', headers: { host: 'evil.example' } }, { allowList: ['127.0.0.0/8'], lookup });
      expect(res.status).to.equal(201);
      expect(res.headers.get('x-reply')).to.equal('yes');
      expect(await res.json()).to.deep.equal({ got: 'hello', host: `receiver.test:${srv.port}` });
      expect(lookups).to.equal(1);
      expect(srv.seen[0]).to.include({ method: 'POST', url: '/hook?a=1' });
      expect(srv.seen[0].headers['content-type']).to.equal('text/plain;charset=UTF-8');
      expect(srv.seen[0].headers['content-length']).to.equal('5');
    });

    it('lets an allow-listed host name through whatever it resolves to', async () => {
      const lookup = async () => [{ address: '127.0.0.1', family: 4 }];
      const res = await guardedFetch(`http://hooks.internal:${srv.port}/`, {}, { allowList: ['hooks.internal'], lookup });
      expect(res.status).to.equal(201);
      await refusal(guardedFetch(`http://other.internal:${srv.port}/`, {}, { allowList: ['hooks.internal'], lookup }));
    });

    it('never follows a redirect', async () => {
      const res = await guardedFetch(`http://127.0.0.1:${srv.port}/redirect`, { redirect: 'follow' }, { allowList: ['127.0.0.1'] });
      expect(res.status).to.equal(302);
      expect(res.headers.get('location')).to.equal(`http://127.0.0.1:${srv.port}/target`);
      expect(await res.text()).to.equal('moved');
      expect(srv.seen.map((s) => s.url)).to.deep.equal(['/redirect']);
      await guardedFetch(`http://127.0.0.1:${srv.port}/redirect`, { redirect: 'error' }, { allowList: ['127.0.0.1'] }).then(
        () => expect.fail('redirect: error must reject'),
        (err) => expect(err).to.be.instanceOf(TypeError),
      );
    });

    it('decodes a compressed response body like fetch', async () => {
      const res = await guardedFetch(`http://127.0.0.1:${srv.port}/gzip`, {}, { allowList: ['127.0.0.1'] });
      expect(await res.text()).to.equal('unzipped text');
    });

    it('rejects with the abort reason when the signal fires', async () => {
      const controller = new AbortController();
      const hanging = await server(() => controller.abort(new Error('stop now')));
      try {
        await guardedFetch(`http://127.0.0.1:${hanging.port}/`, { signal: controller.signal }, { allowPrivate: true }).then(
          () => expect.fail('must reject'),
          (err) => expect((err as Error).message).to.equal('stop now'),
        );
        expect(hanging.seen).to.have.length(1);
      } finally {
        await hanging.close();
      }
    });

    it('reports connection failures with their code', async () => {
      const closed = await server();
      await closed.close();
      await guardedFetch(`http://127.0.0.1:${closed.port}/`, {}, { allowPrivate: true }).then(
        () => expect.fail('must reject'),
        (err) => expect(cause(err).code).to.equal('ECONNREFUSED'),
      );
    });

    it('keeps the host name as the TLS server name while connecting to the checked address', async () => {
      const names: string[] = [];
      const tls = https.createServer({ key: RECEIVER_KEY, cert: RECEIVER_CERT, SNICallback: (name, cb) => (names.push(name), cb(null)) }, (_req, res) => res.end('tls'));
      tls.listen(0, '127.0.0.1');
      await once(tls, 'listening');
      try {
        const port = (tls.address() as AddressInfo).port;
        const lookup = async () => [{ address: '127.0.0.1', family: 4 }];
        // The self-signed certificate is not trusted, so the request fails after the handshake began.
        await guardedFetch(`https://receiver.test:${port}/`, {}, { allowList: ['127.0.0.1'], lookup }).then(
          () => expect.fail('an untrusted certificate must be refused'),
          (err) => expect(cause(err).code).to.equal('DEPTH_ZERO_SELF_SIGNED_CERT'),
        );
        expect(names).to.deep.equal(['receiver.test']);
      } finally {
        await new Promise<void>((resolve) => tls.close(() => resolve()));
      }
    });

    it('holds one policy per set of options: the strict one refuses what the open one allows', async () => {
      expect((await policy({ allowList: ['127.0.0.1'] }).fetch(`http://127.0.0.1:${srv.port}/`)).status).to.equal(201);
      await refusal(policy({}).fetch(`http://127.0.0.1:${srv.port}/`));
      expect(srv.seen).to.have.length(1);
    });
  });

  describe('agents for SDKs', () => {
    let srv: Awaited<ReturnType<typeof server>>;
    beforeEach(async () => {
      srv = await server();
    });
    afterEach(() => srv.close());

    const get = (agent: http.Agent, host: string) =>
      new Promise<number>((resolve, reject) => {
        http.get({ host, port: srv.port, path: '/', agent }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        }).on('error', reject);
      });

    it('refuses a literal loopback address and a name resolving to one, before connecting', async () => {
      const strict = policy({});
      for (const host of ['127.0.0.1', 'localhost']) {
        await get(strict.httpAgent, host).then(
          () => expect.fail(`${host} must be refused`),
          (err) => expect(err, host).to.be.instanceOf(DestinationRefused),
        );
      }
      expect(srv.seen).to.have.length(0);
    });

    it('connects where the policy allows', async () => {
      expect(await get(policy({ allowList: ['127.0.0.1'] }).httpAgent, '127.0.0.1')).to.equal(200);
      expect(srv.seen).to.have.length(1);
    });
  });

  describe('TCP connections (SMTP)', () => {
    it('refuses a forbidden address without connecting, and connects to an allowed one', async () => {
      let connections = 0;
      const open: net.Socket[] = [];
      const tcp = net.createServer((socket) => {
        connections++;
        open.push(socket);
        socket.write('220 hello\r\n');
      });
      tcp.listen(0, '127.0.0.1');
      await once(tcp, 'listening');
      const port = (tcp.address() as AddressInfo).port;
      try {
        await refusal(policy({}).connect({ host: '127.0.0.1', port }));
        await refusal(policy({ lookup: async () => [{ address: '127.0.0.1', family: 4 }] }).connect({ host: 'smtp.attacker.example', port }));
        await refusal(policy({ allowPrivate: true }).connect({ host: '169.254.169.254', port: 25 }));
        expect(connections).to.equal(0);
        const socket = await policy({ allowList: ['smtp.internal'], lookup: async () => [{ address: '127.0.0.1', family: 4 }] }).connect({ host: 'smtp.internal', port });
        // The server's greeting arrives: a real connection to the checked address.
        const [greeting] = await once(socket, 'data');
        expect(String(greeting)).to.equal('220 hello\r\n');
        expect(connections).to.equal(1);
        socket.destroy();
      } finally {
        for (const socket of open) socket.destroy();
        await new Promise<void>((resolve) => tcp.close(() => resolve()));
      }
    });
  });
});

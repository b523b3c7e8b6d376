import { spawnSync } from 'node:child_process';
import { createECDH, generateKeyPairSync } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const PROBE = fileURLToPath(new URL('../fixtures/adapter-loading/probe.ts', import.meta.url));

/**
 * Each adapter's SDK, and a configuration its `create()` accepts. The SDKs are most of what the
 * adapters weigh (docs/performance.md): a gateway or a worker must not hold one until a sender of
 * that adapter is created, i.e. until a provider of that adapter is used.
 */
function cases(): Record<string, { sdk: string[]; config: Record<string, unknown> }> {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const vapid = createECDH('prime256v1');
  vapid.generateKeys();
  const twilio = { accountSid: `AC${'0'.repeat(32)}`, authToken: 'token' };
  return {
    fcm: { sdk: ['firebase-admin', 'google-auth-library'], config: { projectId: 'clarion-test', clientEmail: 'push@clarion-test.iam.gserviceaccount.com', privateKey: rsa } },
    ses: { sdk: ['@aws-sdk/client-sesv2', '@smithy/core'], config: { region: 'eu-west-1', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'secret', from: 'noreply@clarion.test' } },
    smtp: { sdk: ['nodemailer'], config: { host: 'smtp.clarion.test', from: 'noreply@clarion.test' } },
    'twilio-sms': { sdk: ['twilio', 'axios'], config: { ...twilio, from: '+15005550006' } },
    'twilio-whatsapp': { sdk: ['twilio'], config: { ...twilio, from: 'whatsapp:+15005550006' } },
    'twilio-voice': { sdk: ['twilio'], config: { ...twilio, from: '+15005550006' } },
    'vonage-sms': { sdk: ['@vonage/sms', '@vonage/auth'], config: { apiKey: 'key', apiSecret: 'secret', from: 'Clarion' } },
    'web-push': { sdk: ['web-push'], config: { subject: 'mailto:ops@clarion.test', publicKey: vapid.getPublicKey().toString('base64url'), privateKey: vapid.getPrivateKey().toString('base64url') } },
  };
}

function probe(configs: Record<string, Record<string, unknown>>): { atStart: string[]; created: Record<string, string[]> } {
  const result = spawnSync(process.execPath, [PROBE, JSON.stringify(configs)], { encoding: 'utf8', timeout: 60_000 });
  expect(result.status, result.stderr).to.equal(0);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!);
}

describe('adapter SDKs are loaded lazily', function () {
  this.timeout(60_000);
  const all = cases();
  let atStart: string[];
  let created: Record<string, string[]>;

  before(() => {
    // One sender of each adapter, in turn, in one process (the Twilio adapters share their SDK).
    ({ atStart, created } = probe(Object.fromEntries(Object.entries(all).map(([name, c]) => [name, c.config]))));
  });

  it('loads no adapter SDK at start (the modules of a gateway and a worker, every adapter package)', () => {
    for (const [adapter, { sdk }] of Object.entries(all)) {
      for (const pkg of sdk) expect(atStart, `${pkg} (${adapter}) is loaded at start`).not.to.include(pkg);
    }
  });

  it('loads an SDK when the first sender of its adapter is created, and no other adapter\'s', () => {
    const firsts = ['fcm', 'ses', 'smtp', 'twilio-sms', 'vonage-sms', 'web-push'];
    for (const adapter of firsts) {
      for (const pkg of all[adapter]!.sdk) expect(created[adapter], `${pkg} is loaded by the first ${adapter} sender`).to.include(pkg);
      for (const other of firsts.filter((a) => a !== adapter)) {
        for (const pkg of all[other]!.sdk) expect(created[adapter], `${pkg} (${other}) is loaded by a ${adapter} sender`).not.to.include(pkg);
      }
    }
  });
});

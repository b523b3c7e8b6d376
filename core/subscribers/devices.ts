import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { FieldError } from '../errors.ts';
import { toFieldErrors } from '../kernel/validation.ts';

/**
 * A subscriber's push devices (the adapter kit's `Device`): what each platform needs, checked per
 * platform so an error says what is missing for that kind of device rather than listing every
 * branch of a union.
 *
 * - `{"platform": "fcm", "token": "<FCM registration token>"}` (Android, iOS and web through Firebase)
 * - `{"platform": "apns", "token": "<APNs device token>"}`
 * - `{"platform": "webpush", "subscription": {"endpoint": "https://...", "keys": {"p256dh": "...", "auth": "..."}}}`
 *   (the browser's `PushSubscription.toJSON()`)
 *
 * Each may carry a `label` (e.g. "Ada's phone").
 */

export const PLATFORMS = ['fcm', 'apns', 'webpush'] as const;
export const MAX_DEVICES = 50;

const label = { type: 'string', maxLength: 200, description: 'Shown to admins, e.g. "Ada\'s phone"' };
const tokenDevice = (platform: string, what: string) => ({
  type: 'object',
  required: ['platform', 'token'],
  additionalProperties: false,
  properties: { platform: { const: platform }, token: { type: 'string', minLength: 1, maxLength: 4096, description: what }, label },
});

/** One JSON Schema per platform (also the OpenAPI description of a device). */
export const DEVICE_SCHEMAS = {
  fcm: tokenDevice('fcm', 'The FCM registration token'),
  apns: tokenDevice('apns', 'The APNs device token'),
  webpush: {
    type: 'object',
    required: ['platform', 'subscription'],
    additionalProperties: false,
    properties: {
      platform: { const: 'webpush' },
      subscription: {
        type: 'object',
        description: "The browser's PushSubscription (`subscription.toJSON()`)",
        required: ['endpoint', 'keys'],
        properties: {
          endpoint: { type: 'string', pattern: '^https://[^\\s]+$', maxLength: 2048 },
          expirationTime: { type: ['number', 'null'] },
          keys: {
            type: 'object',
            required: ['p256dh', 'auth'],
            properties: { p256dh: { type: 'string', minLength: 1, maxLength: 200 }, auth: { type: 'string', minLength: 1, maxLength: 100 } },
          },
        },
      },
      label,
    },
  },
} as const;

export const deviceSchema = { oneOf: Object.values(DEVICE_SCHEMAS), description: 'A push device: fcm or apns with a token, webpush with a subscription' };

const ajv = new Ajv2020({ allErrors: true, strict: false });
const validators = Object.fromEntries(Object.entries(DEVICE_SCHEMAS).map(([platform, schema]) => [platform, ajv.compile(schema)])) as Record<string, ValidateFunction>;

const NEEDS: Record<string, string> = {
  token: 'is required: the device token the push service gave the app',
  subscription: 'is required: the browser\'s PushSubscription ({"endpoint": "https://...", "keys": {"p256dh": "...", "auth": "..."}})',
};

/** The problems of a `devices` list, with pointers under `prefix` (e.g. `/devices`). */
export function deviceProblems(devices: unknown, prefix = '/devices'): FieldError[] {
  if (devices === undefined) return [];
  if (!Array.isArray(devices)) return [{ pointer: prefix, message: 'must be an array of devices ({"platform": "fcm", "token": "..."}, {"platform": "webpush", "subscription": {...}})' }];
  if (devices.length > MAX_DEVICES) return [{ pointer: prefix, message: `must have at most ${MAX_DEVICES} devices` }];
  const problems: FieldError[] = [];
  const seen = new Map<string, number>();
  devices.forEach((device, i) => {
    const at = `${prefix}/${i}`;
    if (!device || typeof device !== 'object' || Array.isArray(device)) {
      problems.push({ pointer: at, message: 'must be a device object ({"platform": "fcm", "token": "..."})' });
      return;
    }
    const platform = (device as { platform?: unknown }).platform;
    if (typeof platform !== 'string' || !Object.hasOwn(validators, platform)) {
      problems.push({ pointer: `${at}/platform`, message: platform === undefined ? `is required: one of ${PLATFORMS.join(', ')}` : `must be one of ${PLATFORMS.join(', ')}` });
      return;
    }
    const validate = validators[platform];
    if (!validate(device)) {
      for (const error of toFieldErrors(validate.errors ?? [], at)) problems.push({ pointer: error.pointer, message: explain(platform, error.pointer.slice(at.length), error.message) });
      return;
    }
    const d = device as { token?: string; subscription?: { endpoint: string } };
    const address = d.token ?? d.subscription!.endpoint;
    const first = seen.get(address);
    if (first !== undefined) problems.push({ pointer: `${at}/${d.token !== undefined ? 'token' : 'subscription/endpoint'}`, message: `is the same as device ${first}'s` });
    else seen.set(address, i);
  });
  return problems;
}

/** `inner`: the pointer inside the device, e.g. `/token`. */
function explain(platform: string, inner: string, message: string): string {
  const field = inner.split('/').at(-1)!;
  if (message === 'is required' && Object.hasOwn(NEEDS, field) && inner === `/${field}`) return NEEDS[field];
  if (message === 'is not allowed' && inner === `/${field}`) {
    if (field === 'token' && platform === 'webpush') return 'is not allowed: a webpush device carries a subscription, not a token';
    if (field === 'subscription') return `is not allowed: an ${platform} device carries a token, not a subscription`;
    return 'is not allowed (a device has platform, token or subscription, and label)';
  }
  if (inner === '/subscription/endpoint' && /pattern/.test(message)) return 'must be an https:// URL (the push service endpoint of the subscription)';
  return message;
}

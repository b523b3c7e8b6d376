import { timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { ClarionError } from '../core/errors.ts';

/** Cookies, forms and CSRF checks of the console. */

export const SESSION_COOKIE = 'clarion_session';
export const LOGIN_CSRF_COOKIE = 'clarion_login_csrf';
export const FLASH_COOKIE = 'clarion_flash';

export interface CookieOptions {
  secure: boolean;
  maxAgeSeconds?: number;
  httpOnly?: boolean;
}

/**
 * Sets a cookie on `/admin`: HttpOnly, SameSite=Lax (a cross-site form post carries no session),
 * Secure when the public URL is https (behind a TLS proxy the connection itself may be plain).
 */
export function setCookie(ctx: Context, name: string, value: string, options: CookieOptions): void {
  const parts = [`${name}=${encodeURIComponent(value)}`, 'Path=/admin', 'SameSite=Lax'];
  if (options.httpOnly !== false) parts.push('HttpOnly');
  if (options.secure) parts.push('Secure');
  if (options.maxAgeSeconds !== undefined) parts.push(`Max-Age=${options.maxAgeSeconds}`);
  const existing = ctx.response.get('Set-Cookie') as unknown as string[] | string | undefined;
  const list = Array.isArray(existing) ? existing : existing ? [existing] : [];
  ctx.set('Set-Cookie', [...list.filter((c) => !c.startsWith(`${name}=`)), parts.join('; ')]);
}

export function clearCookie(ctx: Context, name: string, secure: boolean): void {
  setCookie(ctx, name, '', { secure, maxAgeSeconds: 0 });
}

export function getCookie(ctx: Context, name: string): string | undefined {
  const header = ctx.get('cookie');
  for (const part of header.split(';')) {
    const index = part.indexOf('=');
    if (index < 0) continue;
    if (part.slice(0, index).trim() === name) {
      try {
        return decodeURIComponent(part.slice(index + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** A form's fields: `get` the first value, `all` every value of a repeated field. */
export class Form {
  readonly #params: URLSearchParams;

  constructor(params: URLSearchParams) {
    this.#params = params;
  }

  get(name: string): string | undefined {
    const value = this.#params.get(name);
    return value === null ? undefined : value;
  }

  /** The trimmed value, undefined when empty. */
  text(name: string): string | undefined {
    const value = this.get(name)?.trim();
    return value ? value : undefined;
  }

  all(name: string): string[] {
    return this.#params.getAll(name);
  }

  has(name: string): boolean {
    return this.#params.has(name);
  }

  /** Every field whose name starts with `prefix`, without the prefix. */
  prefixed(prefix: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const [name, value] of this.#params) if (name.startsWith(prefix)) out.set(name.slice(prefix.length), value);
    return out;
  }
}

/** Same value, compared in constant time. */
export function sameToken(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function csrfRefused(): ClarionError {
  return new ClarionError('CLARION_ERR_ADMIN_CSRF', 'This form was sent without its security token, or with an old one: reload the page and send it again');
}

/** A path inside the console to come back to, never another site (`//evil.example`, `/\evil`). */
export function safeNext(value: string | undefined, fallback = '/admin'): string {
  if (!value || !/^\/admin(\/|$|\?)/.test(value) || /[\\\s]/.test(value) || value.startsWith('//')) return fallback;
  return value;
}

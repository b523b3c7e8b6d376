import { open, realpath } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import { ClarionError } from '../errors.ts';

/**
 * Secret references in provider configurations (`env:NAME`, `file:/path`): a way for the
 * operator to keep a credential out of the database, never a way for a tenant to read the
 * server. A reference is allowed only if it matches one of the operator's CLARION_SECRET_REFS
 * patterns (none by default), with `{tenant}` standing for the tenant's own id; it is checked
 * when the configuration is saved and again every time it is resolved, so a pattern the operator
 * removes stops working at once (loudly, as a configuration error of the provider).
 */

export const REFERENCE = /^(env|file):(.+)$/;

/** Largest secret file read (a key or a certificate, not a device or a log). */
const MAX_SECRET_FILE_BYTES = 64 * 1024;

export interface SecretRefPolicy {
  /** The operator's patterns, as configured. */
  readonly patterns: readonly string[];
  /** Whether the tenant may use this reference (`env:NAME` or `file:/path`). */
  allows(reference: string, tenantId: string): boolean;
}

export function secretRefPolicy(patterns: readonly string[]): SecretRefPolicy {
  const compiled = new Map<string, (value: string) => boolean>();
  const matcher = (pattern: string) => {
    let found = compiled.get(pattern);
    if (!found) {
      found = picomatch(pattern, { dot: true, nobrace: true, noextglob: true });
      compiled.set(pattern, found);
    }
    return found;
  };
  return {
    patterns,
    allows(reference, tenantId) {
      const match = REFERENCE.exec(reference);
      if (!match) return false;
      const [, kind, target] = match;
      if (kind === 'file' && !isPlainAbsolute(target)) return false;
      return patterns.some((pattern) => {
        if (!pattern.startsWith(`${kind}:`)) return false;
        const body = pattern.slice(kind.length + 1).replaceAll('{tenant}', kind === 'env' ? tenantId.replaceAll('-', '_') : tenantId);
        return matcher(body)(target);
      });
    },
  };
}

/** An absolute path with no `.`/`..` segments and nothing path.resolve would change. */
function isPlainAbsolute(file: string): boolean {
  return path.isAbsolute(file) && path.resolve(file) === file && !file.split('/').some((part) => part === '.' || part === '..');
}

/** The references among a configuration's top-level values, by key. */
export function referencesOf(config: Record<string, unknown>): Array<{ key: string; reference: string }> {
  return Object.entries(config).flatMap(([key, value]) => (typeof value === 'string' && REFERENCE.test(value) ? [{ key, reference: value }] : []));
}

/**
 * Resolves `env:NAME` and `file:/path` values the policy allows for this tenant. A reference the
 * policy does not allow (any more), or that cannot be resolved, is a ClarionError naming the key:
 * the engine turns it into a provider configuration error.
 */
export async function resolveReferences(config: Record<string, unknown>, tenantId: string, policy: SecretRefPolicy, env: NodeJS.ProcessEnv = process.env): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = { ...config };
  for (const { key, reference } of referencesOf(config)) {
    if (!policy.allows(reference, tenantId)) {
      throw new ClarionError('CLARION_ERR_PROVIDER_SECRET_REF_NOT_ALLOWED', `config.${key} is a secret reference the operator does not allow (CLARION_SECRET_REFS): replace it with the value itself`);
    }
    const [, kind, target] = REFERENCE.exec(reference)!;
    if (kind === 'env') {
      const resolved = env[target];
      if (resolved === undefined || resolved === '') throw new ClarionError('CLARION_ERR_PROVIDER_SECRET_UNRESOLVED', `config.${key} references env:${target}, which is not set`);
      out[key] = resolved;
      continue;
    }
    out[key] = await readSecretFile(key, target, tenantId, policy);
  }
  return out;
}

async function readSecretFile(key: string, file: string, tenantId: string, policy: SecretRefPolicy): Promise<string> {
  const unreadable = (why: string) => new ClarionError('CLARION_ERR_PROVIDER_SECRET_UNRESOLVED', `config.${key} references file:${file}, which cannot be read (${why})`);
  let real: string;
  try {
    real = await realpath(file);
  } catch (err) {
    throw unreadable((err as NodeJS.ErrnoException).code ?? 'error');
  }
  // A link out of the allowed place does not take the reference with it.
  if (real !== file && !policy.allows(`file:${real}`, tenantId)) {
    throw new ClarionError('CLARION_ERR_PROVIDER_SECRET_REF_NOT_ALLOWED', `config.${key} references file:${file}, a link to a file the operator does not allow (CLARION_SECRET_REFS)`);
  }
  let handle;
  try {
    handle = await open(real, 'r');
  } catch (err) {
    throw unreadable((err as NodeJS.ErrnoException).code ?? 'error');
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw unreadable('not a regular file');
    if (stat.size > MAX_SECRET_FILE_BYTES) throw unreadable(`larger than ${MAX_SECRET_FILE_BYTES} bytes`);
    const buffer = Buffer.alloc(Math.min(stat.size, MAX_SECRET_FILE_BYTES));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead).toString('utf8').replace(/\r?\n$/, '');
  } finally {
    await handle.close();
  }
}

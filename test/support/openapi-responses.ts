import type { Context, Middleware, Next } from 'koa';
import { schemaAjv } from '../../core/kernel/schema.ts';
import type { ValidateFunction } from 'ajv/dist/2020.js';

/**
 * Every response a test receives through `testApp()` is checked against the OpenAPI document the
 * gateway serves (see test/support/README.md). The middleware runs outermost, after the problem
 * middleware has written its answer; it finds the operation by method and path template, then
 * checks that the status is documented and that a JSON body matches the documented schema of
 * that status and media type. A mismatch replaces the answer with a 500 naming what is wrong
 * (so the test's own expectations fail), is printed, and fails the test in the root `afterEach`
 * even if the test looked no further.
 */

const BASE = 'https://clarion.test/openapi.json';

interface Operation {
  path: string;
  pattern: RegExp;
  params: number;
  responses: Record<string, { content?: Record<string, { validate?: ValidateFunction }> }>;
}

const mismatches: string[] = [];

/** The mismatches recorded since the last call, emptied. */
export function takeResponseMismatches(): string[] {
  return mismatches.splice(0);
}

export function responseValidator(document: Record<string, unknown>): Middleware {
  // Refs point into the document; compiled apart from it, they point into this copy of it.
  const doc = JSON.parse(JSON.stringify(document).replaceAll('"#/components/', `"${BASE}#/components/`)) as {
    paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: object }> }> }>>;
    components: Record<string, unknown>;
  };
  const ajv = schemaAjv();
  ajv.addSchema({ $id: BASE, components: doc.components });
  const operations = new Map<string, Operation[]>();
  for (const [path, item] of Object.entries(doc.paths)) {
    const pattern = new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`);
    for (const [method, operation] of Object.entries(item)) {
      const responses: Operation['responses'] = {};
      for (const [status, declared] of Object.entries(operation.responses ?? {})) {
        const response = resolve(doc, declared);
        const content: Record<string, { validate?: ValidateFunction }> = {};
        for (const [media, { schema }] of Object.entries(response.content ?? {})) content[media] = { validate: schema ? ajv.compile(schema) : undefined };
        responses[status] = response.content ? { content } : {};
      }
      const list = operations.get(method.toUpperCase()) ?? [];
      list.push({ path, pattern, params: (path.match(/\{/g) ?? []).length, responses });
      operations.set(method.toUpperCase(), list);
    }
  }
  // The most literal template first: /v1/templates/layouts before /v1/templates/{workflow}/...
  for (const list of operations.values()) list.sort((a, b) => a.params - b.params);

  return async (ctx: Context, next: Next) => {
    await next();
    const operation = operations.get(ctx.method)?.find((o) => o.pattern.test(ctx.path));
    if (!operation) return; // not a documented route (404, 405): nothing to hold it to
    const problem = check(ctx, operation);
    if (!problem) return;
    const message = `${ctx.method} ${ctx.path} (${operation.path}) answered ${ctx.status} ${ctx.type || '(no content type)'} that the OpenAPI document does not describe: ${problem}`;
    mismatches.push(message);
    console.error(`  response mismatch: ${message}`);
    ctx.status = 500;
    ctx.type = 'text/plain';
    ctx.body = `response mismatch: ${message}`;
  };
}

/** A response object, or the one its `$ref` names (`#/components/responses/Problem`). */
function resolve<T>(doc: { components: Record<string, unknown> }, node: T): T {
  const ref = (node as { $ref?: string }).$ref;
  if (!ref) return node;
  let target: unknown = doc;
  for (const part of ref.slice(ref.indexOf('#/') + 2).split('/')) target = (target as Record<string, unknown>)[part];
  return resolve(doc, target as T);
}

function check(ctx: Context, operation: Operation): string | undefined {
  const response = operation.responses[String(ctx.status)] ?? operation.responses[`${String(ctx.status)[0]}XX`] ?? operation.responses.default;
  if (!response) return `status ${ctx.status} is not documented (documented: ${Object.keys(operation.responses).join(', ')})`;
  const hasBody = ctx.body !== undefined && ctx.body !== null && ctx.body !== '';
  if (!response.content) return hasBody ? 'a body where none is documented' : undefined;
  if (!hasBody) return undefined; // e.g. a 200 with an empty body (callbacks): the media type says nothing then
  const media = ctx.type;
  const documented = response.content[media] ?? Object.entries(response.content).find(([m]) => m === '*/*' || (m.endsWith('/*') && media.startsWith(m.slice(0, -1))))?.[1];
  if (!documented) return `media type ${media} is not documented (documented: ${Object.keys(response.content).join(', ')})`;
  if (!documented.validate || !(media === 'application/json' || media.endsWith('+json'))) return undefined;
  const body = typeof ctx.body === 'string' || Buffer.isBuffer(ctx.body) ? JSON.parse(String(ctx.body)) : JSON.parse(JSON.stringify(ctx.body));
  if (documented.validate(body)) return undefined;
  return (documented.validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}${e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ''}`).join('; ');
}

import type Router from '@koa/router';
import { ClarionError } from '../../errors.ts';
import type { Services } from '../../services.ts';
import { canonicalLocale } from '../../templates/locale.ts';
import { parseVersion, rollbackVersion, templateKey } from '../../templates/service.ts';
import { auth } from '../auth.ts';
import { pageParams, readJson, readQuery } from '../http.ts';
import { queryReader } from '../../kernel/schema.ts';
import { templateListQuery } from '../../templates/schemas.ts';

const BASE = '/v1/templates';
const readTemplateList = queryReader(templateListQuery);
const KEY = `${BASE}/:workflow/:channel/:locale`;

/**
 * Templates: list, read, save versions, publish, roll back, unpublish; live preview; layouts.
 * A template is addressed by workflow, channel and locale: /v1/templates/{workflow}/{channel}/{locale}.
 */
export function templateRoutes(services: Services, router: Router): void {
  const templates = services.templates;
  const limit = services.config.maxBodyBytes;
  const location = (key: { workflow: string; channel: string; locale: string }) =>
    `${BASE}/${encodeURIComponent(key.workflow)}/${key.channel}/${encodeURIComponent(key.locale)}`;

  router.get(BASE, async (ctx) => {
    const query = readQuery(ctx, readTemplateList);
    const locale = query.locale === undefined ? undefined : canonicalLocale(query.locale);
    if (query.locale !== undefined && !locale) throw new ClarionError('CLARION_ERR_HTTP_INVALID_REQUEST', 'Invalid query parameters', { errors: [{ pointer: '/query/locale', message: 'must be a BCP 47 locale such as fr or fr-CA' }] });
    ctx.body = { items: await templates.list(auth(ctx).tenant.id, { workflow: query.workflow, channel: query.channel, locale }) };
  });

  router.post(`${BASE}/preview`, async (ctx) => {
    const body = await readJson(ctx, limit);
    ctx.body = await templates.preview(auth(ctx).tenant, body);
  });

  router.get(`${BASE}/layouts`, async (ctx) => {
    ctx.body = { items: await templates.layouts(auth(ctx).tenant.id) };
  });

  router.get(`${BASE}/layouts/:name`, async (ctx) => {
    ctx.body = await templates.layout(auth(ctx).tenant.id, ctx.params.name);
  });

  router.put(`${BASE}/layouts/:name`, async (ctx) => {
    const body = await readJson(ctx, limit);
    const { tenant, actor } = auth(ctx);
    const { layout, created, warnings } = await templates.putLayout(tenant.id, ctx.params.name, body, actor);
    ctx.status = created ? 201 : 200;
    if (created) ctx.set('Location', `${BASE}/layouts/${layout.name}`);
    ctx.body = { ...layout, warnings };
  });

  router.delete(`${BASE}/layouts/:name`, async (ctx) => {
    const { tenant, actor } = auth(ctx);
    await templates.deleteLayout(tenant.id, ctx.params.name, actor);
    ctx.status = 204;
  });

  router.get(KEY, async (ctx) => {
    const key = templateKey(ctx.params);
    ctx.body = await templates.get(auth(ctx).tenant.id, key);
  });

  router.get(`${KEY}/versions`, async (ctx) => {
    const key = templateKey(ctx.params);
    ctx.body = await templates.versions(auth(ctx).tenant.id, key, pageParams(ctx));
  });

  router.post(`${KEY}/versions`, async (ctx) => {
    const key = templateKey(ctx.params);
    const body = await readJson(ctx, limit);
    const { tenant, actor } = auth(ctx);
    const { version, warnings } = await templates.save(tenant.id, key, body, actor);
    ctx.status = 201;
    ctx.set('Location', `${location(key)}/versions/${version.version}`);
    ctx.body = { ...version, warnings };
  });

  router.get(`${KEY}/versions/:version`, async (ctx) => {
    const key = templateKey(ctx.params);
    const version = parseVersion(ctx.params.version, '/path/version');
    ctx.body = await templates.get(auth(ctx).tenant.id, key, version);
  });

  router.post(`${KEY}/versions/:version/publish`, async (ctx) => {
    const key = templateKey(ctx.params);
    const version = parseVersion(ctx.params.version, '/path/version');
    const { tenant, actor } = auth(ctx);
    ctx.body = await templates.publish(tenant.id, key, version, actor);
  });

  router.post(`${KEY}/rollback`, async (ctx) => {
    const key = templateKey(ctx.params);
    const version = rollbackVersion(await readJson(ctx, limit));
    const { tenant, actor } = auth(ctx);
    const created = await templates.rollback(tenant.id, key, version, actor);
    ctx.status = 201;
    ctx.set('Location', `${location(key)}/versions/${created.version}`);
    ctx.body = created;
  });

  router.post(`${KEY}/unpublish`, async (ctx) => {
    const key = templateKey(ctx.params);
    const { tenant, actor } = auth(ctx);
    const { archivedVersion, source } = await templates.unpublish(tenant.id, key, actor);
    ctx.body = { ...key, archivedVersion, source };
  });
}

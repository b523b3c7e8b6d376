import type { Knex } from 'knex';
import type { ResolvedPreferences } from '../pipeline/types.ts';
import { resolve as resolvePreferences } from '../preferences/model.ts';
import type { NotificationsContext } from './context.ts';

/** A subscriber's preferences over every scope, for the plugins and the daily summary (none without the preference service). */
export async function preferencesOf(ctx: NotificationsContext, db: Knex, tenantId: string, subscriber: { external_id: string; teams: string[]; projects: string[] }): Promise<ResolvedPreferences> {
  const service = ctx.preferences();
  if (!service) return resolvePreferences([]);
  return service.resolved(db, tenantId, { externalId: subscriber.external_id, teams: subscriber.teams ?? [], projects: subscriber.projects ?? [] });
}

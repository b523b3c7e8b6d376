import type { Knex } from 'knex';
import { AuditLog } from '../models/audit-log.ts';

/**
 * The audit trail's one writer: every row of `audit_logs` (who did what to what) goes through
 * `audit`, in the caller's transaction, so the change and its record commit together. (The hot
 * path's one-statement success writes its status change in the same shape: see
 * `AUDIT_COLUMNS`.) The trail is append-only: nothing updates or deletes a row but an erasure's
 * redaction.
 */

/** The columns of an audit row, for a statement that writes one itself. */
export const AUDIT_COLUMNS = 'tenant_id, actor, action, target_type, target_id, summary';

/**
 * Records one action. `actor`: `api_key:<id>`, `system`, `cli`, `subscriber:<id>`,
 * `provider:<adapter>`; `targetType` defaults to the action's first word (`provider.created`:
 * provider).
 */
export async function audit(db: Knex, tenantId: string, actor: string, action: string, targetId: string | null, summary: Record<string, unknown> = {}, targetType?: string): Promise<void> {
  await AuditLog.query(db).insert({ tenant_id: tenantId, actor, action, target_type: targetType ?? action.split('.')[0], target_id: targetId, summary }).returning('id');
}

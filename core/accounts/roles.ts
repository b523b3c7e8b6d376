/**
 * Console roles, from least to most: a viewer reads everything of the tenant; an editor also
 * changes templates and workflows; an admin everything of the tenant but its owners and single
 * sign-on; an owner everything. Operators (the people running Clarion) are super-admins of every
 * tenant. Checked on the server for every action, whatever the page shows.
 */
export const TENANT_ROLES = ['owner', 'admin', 'editor', 'viewer'] as const;
export type TenantRole = (typeof TENANT_ROLES)[number];
export type Role = TenantRole | 'operator';

const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2, owner: 3, operator: 4 };

/** What an action needs: `read` (viewer), `author` (editor), `manage` (admin), `own` (owner). */
export type Permission = 'read' | 'author' | 'manage' | 'own';
const NEEDS: Record<Permission, Role> = { read: 'viewer', author: 'editor', manage: 'admin', own: 'owner' };

export function allows(role: Role, permission: Permission): boolean {
  return RANK[role] >= RANK[NEEDS[permission]];
}

/** Whether `actor` may give (or take away) `role`: owners only by owners (and operators). */
export function mayAssign(actor: Role, role: Role): boolean {
  if (role === 'operator') return false;
  return role === 'owner' ? allows(actor, 'own') : allows(actor, 'manage');
}

export function isTenantRole(value: unknown): value is TenantRole {
  return typeof value === 'string' && (TENANT_ROLES as readonly string[]).includes(value);
}

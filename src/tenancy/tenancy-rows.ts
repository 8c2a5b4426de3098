import type { EntityManager } from 'typeorm';
import { SYSTEM_SCOPE, type TenantDb } from '../database/tenant-db';
import { RequestError } from '../common/errors/request-error';
import type { ScopeKind } from './memberships/membership.entity';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The user row of an IdP subject, created when missing; a known email is recorded, an unknown one never
 * erases what is stored. Users are global (one person, many organizations): no tenant filter applies.
 */
export async function upsertUser(
  db: EntityManager,
  sub: string,
  email: string | null | undefined,
): Promise<string> {
  const [user] = await db.query<{ id: string }[]>(
    `INSERT INTO users (sub, email) VALUES ($1, $2)
     ON CONFLICT (sub) DO UPDATE SET email = coalesce(EXCLUDED.email, users.email) RETURNING id`,
    [sub, email?.toLowerCase() ?? null],
  );
  return user.id;
}

/** The internal id of an IdP subject's user row, if it has one. */
export async function userIdOf(tenantDb: TenantDb, sub: string): Promise<string | undefined> {
  const rows = await tenantDb.run(SYSTEM_SCOPE, (db) =>
    db.query<{ id: string }[]>(`SELECT id FROM users WHERE sub = $1`, [sub]),
  );
  return rows[0]?.id;
}

export function notFound(what: string): RequestError {
  return new RequestError('not_found', 404, `No such ${what}`);
}

/** The first row, or 404: under row-level security another organization's row is simply not there. */
export function one<T>(rows: T[], what: string): T {
  const row = rows[0];
  if (row === undefined) throw notFound(what);
  return row;
}

const SCOPE_TABLES: Readonly<Record<Exclude<ScopeKind, 'organization'>, string>> = {
  team: 'teams',
  workspace: 'workspaces',
  project: 'projects',
  lab: 'labs',
};

/**
 * Refuses a scope that is not part of this organization (404, as for any id of another tenant): a
 * membership, mapping or invite can only point inside its own organization.
 */
export async function assertScopeInOrg(
  db: EntityManager,
  orgId: string,
  scopeKind: ScopeKind,
  scopeId: string,
): Promise<void> {
  if (scopeKind === 'organization') {
    if (scopeId !== orgId) throw notFound('organization scope: scope_id must be the organization id');
    return;
  }
  const rows = await db.query<unknown[]>(
    `SELECT 1 FROM ${SCOPE_TABLES[scopeKind]} WHERE id = $1 AND org_id = $2`,
    [scopeId, orgId],
  );
  one(rows, `${scopeKind} in this organization`);
}

/**
 * Memberships and group mappings hang on their scope by id alone; deleting a scope deletes them with it.
 */
export async function deleteScopeGrants(
  db: EntityManager,
  orgId: string,
  scopeKind: ScopeKind,
  scopeIds: string[],
): Promise<void> {
  if (scopeIds.length === 0) return;
  await db.query(
    `DELETE FROM memberships WHERE org_id = $1 AND scope_kind = $2 AND scope_id = ANY($3::uuid[])`,
    [orgId, scopeKind, scopeIds],
  );
  await db.query(
    `DELETE FROM idp_group_mappings WHERE org_id = $1 AND scope_kind = $2 AND scope_id = ANY($3::uuid[])`,
    [orgId, scopeKind, scopeIds],
  );
}

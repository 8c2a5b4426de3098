import { type EntityManager, In } from 'typeorm';
import { SYSTEM_SCOPE, type TenantDb } from '../database/tenant-db';
import { RequestError } from '../common/errors/request-error';
import { IdpGroupMapping } from './idp-group-mappings/idp-group-mapping.entity';
import { Membership, type ScopeKind } from './memberships/membership.entity';
import { Lab, Project } from './projects/workspace-child.entity';
import { Team } from './teams/team.entity';
import { User } from './users/user.entity';
import { Workspace } from './workspaces/workspace.entity';

/**
 * The user row of an IdP subject, created when missing; a known email is recorded, an unknown one never
 * erases what is stored. Users are global (one person, many organizations): no tenant filter applies.
 */
export async function upsertUser(
  db: EntityManager,
  sub: string,
  email: string | null | undefined,
): Promise<string> {
  // Raw SQL: one INSERT … ON CONFLICT, so two first sign-ins of one subject race to one row.
  const [user] = await db.query<{ id: string }[]>(
    `INSERT INTO users (sub, email) VALUES ($1, $2)
     ON CONFLICT (sub) DO UPDATE SET email = coalesce(EXCLUDED.email, users.email) RETURNING id`,
    [sub, email?.toLowerCase() ?? null],
  );
  return user.id;
}

/** The internal id of an IdP subject's user row, if it has one. */
export async function userIdOf(tenantDb: TenantDb, sub: string): Promise<string | undefined> {
  const user = await tenantDb.run(SYSTEM_SCOPE, (db) =>
    db.getRepository(User).findOne({ where: { sub }, select: { id: true } }),
  );
  return user?.id;
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

const SCOPE_ENTITIES = {
  team: Team,
  workspace: Workspace,
  project: Project,
  lab: Lab,
} as const satisfies Record<Exclude<ScopeKind, 'organization'>, unknown>;

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
  const found = await db.exists(SCOPE_ENTITIES[scopeKind], { where: { id: scopeId, orgId } });
  if (!found) throw notFound(`${scopeKind} in this organization`);
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
  const grants = { orgId, scopeKind, scopeId: In(scopeIds) };
  await db.delete(Membership, grants);
  await db.delete(IdpGroupMapping, grants);
}

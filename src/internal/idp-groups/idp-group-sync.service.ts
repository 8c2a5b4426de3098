import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditLedger } from '../../audit/ledger/audit-ledger';
import { RequestError } from '../../common/errors/request-error';
import { SYSTEM_SCOPE, TenantDb } from '../../database/tenant-db';
import { MembershipCache } from '../../tenancy/memberships/membership-cache';
import { higher } from '../../tenancy/memberships/roles';
import type { ChangeActor } from '../../tenancy/org-scope/org-access';
import { isDatabaseUnavailable } from '../database-unavailable';
import type { GrantedScope, GroupSyncResult, SyncGroupsBody } from './idp-groups.dto';

/**
 * A failure of the sync that is not the caller's: carries the SQLSTATE only. A TypeORM error carries the
 * statement's parameters, which hold the user's group names, and the error filter logs what it is given.
 */
class GroupSyncFailed extends Error {
  constructor(code: unknown) {
    super(`IdP group sync failed${typeof code === 'string' ? ` (SQLSTATE ${code})` : ''}`);
    this.name = 'GroupSyncFailed';
  }
}

/**
 * Turns the groups an enterprise IdP sent at login into memberships (docs/auth0.md): for every active
 * connection of that kind in the organization bound to the Auth0 Organization, the group mappings that
 * name one of the groups grant their role on their scope (`source = idp_group`); the user's other
 * `idp_group` memberships in that organization are removed. Memberships made by hand, by an invite or by
 * the JIT sync are never touched. Group names are compared and then forgotten: they are in no response,
 * error, log line or ledger row.
 */
@Injectable()
export class IdpGroupSyncService {
  constructor(
    private readonly tenantDb: TenantDb,
    private readonly ledger: AuditLedger,
    private readonly memberships: MembershipCache,
  ) {}

  async sync(actor: ChangeActor, body: SyncGroupsBody): Promise<GroupSyncResult> {
    let result: GroupSyncResult;
    try {
      result = await this.reconcile(actor, body);
    } catch (error) {
      if (error instanceof RequestError) throw error;
      if (isDatabaseUnavailable(error)) {
        throw new RequestError('service_unavailable', 503, 'The database is not available; try again later');
      }
      throw new GroupSyncFailed((error as { driverError?: { code?: unknown } }).driverError?.code);
    }
    if (result.org_id !== null && result.granted + result.changed + result.removed > 0) {
      await this.memberships.invalidate(result.org_id);
    }
    return result;
  }

  private async reconcile(actor: ChangeActor, body: SyncGroupsBody): Promise<GroupSyncResult> {
    // Only the organization bound to this Auth0 Organization id is looked at: a group mapped in another
    // organization grants nothing here, whatever its name.
    const orgId = body.auth0_organization_id === null ? null : await this.orgOf(body.auth0_organization_id);
    const ledgerRow = (outcome: GroupSyncResult) => ({
      eventType: 'auth0.idp_group_sync',
      outcome: 'success' as const,
      orgId: outcome.org_id,
      userId: body.user_id,
      actorUserId: actor.sub,
      route: actor.route,
      ip: actor.ip,
      requestId: actor.requestId,
      details: {
        connection_kind: body.connection_kind,
        auth0_org_id: body.auth0_organization_id,
        groups_received: body.external_groups.length,
        granted: outcome.granted,
        changed: outcome.changed,
        removed: outcome.removed,
        memberships: outcome.memberships,
      },
    });
    if (orgId === null) {
      const nothing: GroupSyncResult = { org_id: null, memberships: [], granted: 0, changed: 0, removed: 0 };
      await this.tenantDb.run(SYSTEM_SCOPE, (db) => this.ledger.append(db, ledgerRow(nothing)));
      return nothing;
    }
    return this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      const userId = await upsertUser(db, body.user_id);
      const wanted = await this.grantsOf(db, orgId, body);
      const outcome = await this.apply(db, orgId, userId, wanted);
      await this.ledger.append(db, ledgerRow(outcome));
      return outcome;
    });
  }

  private async orgOf(auth0OrgId: string): Promise<string | null> {
    const rows = await this.tenantDb.run(SYSTEM_SCOPE, (db) =>
      db.query<{ id: string }[]>(`SELECT id FROM organizations WHERE auth0_org_id = $1`, [auth0OrgId]),
    );
    return rows[0]?.id ?? null;
  }

  /** What the groups grant: one role per scope, the highest any matching mapping gives. */
  private async grantsOf(db: EntityManager, orgId: string, body: SyncGroupsBody): Promise<GrantedScope[]> {
    if (body.external_groups.length === 0) return [];
    const mapped = await db.query<GrantedScope[]>(
      `SELECT m.scope_kind, m.scope_id, m.role FROM idp_group_mappings m
         JOIN idp_connections c ON c.id = m.connection_id AND c.org_id = m.org_id
        WHERE m.org_id = $1 AND c.kind = $2 AND c.status = 'active' AND m.external_group = ANY($3::text[])`,
      [orgId, body.connection_kind, body.external_groups],
    );
    const byScope = new Map<string, GrantedScope>();
    for (const grant of mapped) {
      const key = `${grant.scope_kind} ${grant.scope_id}`;
      const held = byScope.get(key);
      byScope.set(key, { ...grant, role: higher(held?.role ?? null, grant.role) ?? grant.role });
    }
    return [...byScope.values()];
  }

  /**
   * Upserts the wanted `idp_group` memberships and deletes the user's other `idp_group` memberships in
   * the organization. A scope the user already holds through another source keeps that membership as it
   * is: the conflict clause updates `idp_group` rows only.
   */
  private async apply(
    db: EntityManager,
    orgId: string,
    userId: string,
    wanted: GrantedScope[],
  ): Promise<GroupSyncResult> {
    const kinds = wanted.map((grant) => grant.scope_kind);
    const ids = wanted.map((grant) => grant.scope_id);
    const roles = wanted.map((grant) => grant.role);
    const upserted = await db.query<{ inserted: boolean }[]>(
      `WITH wanted AS (SELECT * FROM unnest($3::text[], $4::uuid[], $5::text[]) AS w(scope_kind, scope_id, role))
       INSERT INTO memberships (user_id, org_id, scope_kind, scope_id, role, source)
       SELECT $1, $2, scope_kind, scope_id, role, 'idp_group' FROM wanted
       ON CONFLICT (user_id, scope_kind, scope_id) DO UPDATE SET role = EXCLUDED.role
        WHERE memberships.source = 'idp_group' AND memberships.role <> EXCLUDED.role
       RETURNING (xmax = 0) AS inserted`,
      [userId, orgId, kinds, ids, roles],
    );
    const removed = await db.query<[unknown[], number]>(
      `DELETE FROM memberships m
        WHERE m.user_id = $1 AND m.org_id = $2 AND m.source = 'idp_group'
          AND NOT EXISTS (SELECT 1 FROM unnest($3::text[], $4::uuid[]) AS w(scope_kind, scope_id)
                           WHERE w.scope_kind = m.scope_kind AND w.scope_id = m.scope_id)`,
      [userId, orgId, kinds, ids],
    );
    const memberships = await db.query<GrantedScope[]>(
      `SELECT scope_kind, scope_id, role FROM memberships
        WHERE user_id = $1 AND org_id = $2 AND source = 'idp_group' ORDER BY scope_kind, scope_id`,
      [userId, orgId],
    );
    const granted = upserted.filter((row) => row.inserted).length;
    return {
      org_id: orgId,
      memberships,
      granted,
      changed: upserted.length - granted,
      removed: removed[1],
    };
  }
}

/** The user row of the subject (group sync may run before the JIT sync of the same login). */
async function upsertUser(db: EntityManager, sub: string): Promise<string> {
  const [user] = await db.query<{ id: string }[]>(
    `INSERT INTO users (sub) VALUES ($1) ON CONFLICT (sub) DO UPDATE SET sub = EXCLUDED.sub RETURNING id`,
    [sub],
  );
  return user.id;
}

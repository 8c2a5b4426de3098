import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { TenantDb } from '../../database/tenant-db';
import { AuthError } from '../../identity/errors/auth-error';
import { RequestError } from '../../common/errors/request-error';
import type { MembershipSource, Role, ScopeKind } from '../memberships/membership.entity';
import { MembershipCache } from '../memberships/membership-cache';
import { meets } from '../memberships/roles';
import type { OrgAccess } from '../org-scope/org-access';
import { TenancyAudit } from '../tenancy-audit';
import { type Page, type PageQuery, pageSql, toPage } from '../pagination';
import { assertScopeInOrg, one, upsertUser } from '../tenancy-rows';
import type { AddMemberBody } from './members.dto';

export interface MemberView {
  id: string;
  user_id: string;
  sub: string;
  email: string | null;
  scope_kind: ScopeKind;
  scope_id: string;
  role: Role;
  source: MembershipSource;
  created_at: Date;
}

const MEMBERS = `(SELECT m.id, m.user_id, u.sub, u.email, m.scope_kind, m.scope_id, m.role, m.source, m.created_at
                    FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1) AS members`;
const COLUMNS = 'id, user_id, sub, email, scope_kind, scope_id, role, source, created_at';

/**
 * Memberships of one organization. Every change invalidates the membership cache on every instance
 * once committed, so a removed member is refused on the next request, long before their token expires.
 */
@Injectable()
export class MembersService {
  constructor(
    private readonly tenantDb: TenantDb,
    private readonly memberships: MembershipCache,
    private readonly audit: TenancyAudit,
  ) {}

  list(orgId: string, query: PageQuery): Promise<Page<MemberView>> {
    const page = pageSql(MEMBERS, COLUMNS, 'TRUE', [orgId], query);
    return this.tenantDb.run({ kind: 'org', orgId }, async (db) =>
      toPage(await db.query<(MemberView & { cursor_at: string })[]>(page.sql, page.params), page.limit),
    );
  }

  get(orgId: string, membershipId: string): Promise<MemberView> {
    return this.tenantDb.run({ kind: 'org', orgId }, (db) => this.find(db, orgId, membershipId));
  }

  async add(caller: OrgAccess, body: AddMemberBody): Promise<MemberView> {
    const orgId = caller.orgId;
    assertMayGrant(caller, body.role);
    const scopeKind = body.scope_kind ?? 'organization';
    const scopeId = body.scope_id ?? orgId;
    const added = await this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      await assertScopeInOrg(db, orgId, scopeKind, scopeId);
      const userId = await upsertUser(db, body.user_sub, body.email);
      const [membership] = await db.query<{ id: string }[]>(
        `INSERT INTO memberships (user_id, org_id, scope_kind, scope_id, role, source)
         VALUES ($1, $2, $3, $4, $5, 'manual') RETURNING id`,
        [userId, orgId, scopeKind, scopeId, body.role],
      );
      const added = await this.find(db, orgId, membership.id);
      await this.audit.record(db, caller.actor, orgId, 'tenancy.member_added', describe(added));
      return added;
    });
    await this.memberships.invalidate(orgId);
    return added;
  }

  async changeRole(caller: OrgAccess, membershipId: string, role: Role): Promise<MemberView> {
    const orgId = caller.orgId;
    const changed = await this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      const owners = await this.lockOwners(db, orgId);
      const current = await this.find(db, orgId, membershipId);
      assertMayGrant(caller, current.role);
      assertMayGrant(caller, role);
      if (isOrgOwner(current) && role !== 'owner' && owners.length <= 1) throw lastOwner();
      await db.query(`UPDATE memberships SET role = $3 WHERE id = $1 AND org_id = $2`, [
        membershipId,
        orgId,
        role,
      ]);
      await this.audit.record(db, caller.actor, orgId, 'tenancy.member_role_changed', {
        ...describe(current),
        previous_role: current.role,
        role,
      });
      return { ...current, role };
    });
    await this.memberships.invalidate(orgId);
    return changed;
  }

  async remove(caller: OrgAccess, membershipId: string): Promise<void> {
    const orgId = caller.orgId;
    await this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      const owners = await this.lockOwners(db, orgId);
      const current = await this.find(db, orgId, membershipId);
      assertMayGrant(caller, current.role);
      if (isOrgOwner(current) && owners.length <= 1) throw lastOwner();
      await db.query(`DELETE FROM memberships WHERE id = $1 AND org_id = $2`, [membershipId, orgId]);
      await this.audit.record(db, caller.actor, orgId, 'tenancy.member_removed', describe(current));
    });
    await this.memberships.invalidate(orgId);
  }

  /**
   * Locks the organization's owner memberships for the rest of the transaction. Two admins removing
   * the last two owners at once then run one after the other, and the second sees one owner left.
   */
  private lockOwners(db: EntityManager, orgId: string): Promise<{ id: string }[]> {
    return db.query<{ id: string }[]>(
      `SELECT id FROM memberships WHERE org_id = $1 AND scope_kind = 'organization' AND role = 'owner' FOR UPDATE`,
      [orgId],
    );
  }

  private async find(db: EntityManager, orgId: string, membershipId: string): Promise<MemberView> {
    return one(
      await db.query<MemberView[]>(`SELECT ${COLUMNS} FROM ${MEMBERS} WHERE id = $2`, [orgId, membershipId]),
      'membership',
    );
  }
}

/** Only an owner makes, unmakes or touches an owner; an admin manages everyone below. */
function assertMayGrant(caller: OrgAccess, role: Role): void {
  if (role === 'owner' && !caller.clusterAdmin && !meets(caller.role, 'owner')) {
    throw new AuthError('org_forbidden');
  }
}

/** What a ledger row says of a membership: whose, where and what (the subject, not the email). */
function describe(membership: MemberView): Record<string, unknown> {
  return {
    membership_id: membership.id,
    member_sub: membership.sub,
    scope_kind: membership.scope_kind,
    scope_id: membership.scope_id,
    role: membership.role,
  };
}

function isOrgOwner(membership: MemberView): boolean {
  return membership.scope_kind === 'organization' && membership.role === 'owner';
}

function lastOwner(): RequestError {
  return new RequestError(
    'last_owner',
    409,
    'An organization keeps at least one owner: add another owner first',
  );
}

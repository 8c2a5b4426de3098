import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { TenantDb } from '../../database/tenant-db';
import { AuthError } from '../../identity/errors/auth-error';
import { RequestError } from '../../common/errors/request-error';
import { Membership } from '../memberships/membership.entity';
import { MembershipCache } from '../memberships/membership-cache';
import { meets, type Role } from '../memberships/roles';
import type { OrgAccess } from '../org-scope/org-access';
import { TenancyAudit } from '../tenancy-audit';
import { type Page, type PageQuery, pageOf } from '../pagination';
import { assertScopeInOrg, notFound, upsertUser } from '../tenancy-rows';
import { type AddMemberBody, type MemberResponse, toMemberResponse } from './members.dto';

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

  list(orgId: string, query: PageQuery): Promise<Page<MemberResponse>> {
    return this.tenantDb.run({ kind: 'org', orgId }, (db) =>
      pageOf(
        db
          .getRepository(Membership)
          .createQueryBuilder('membership')
          .innerJoinAndSelect('membership.user', 'user')
          .where('membership.orgId = :orgId', { orgId }),
        query,
        toMemberResponse,
      ),
    );
  }

  get(orgId: string, membershipId: string): Promise<MemberResponse> {
    return this.tenantDb.run({ kind: 'org', orgId }, async (db) =>
      toMemberResponse(await this.find(db, orgId, membershipId)),
    );
  }

  async add(caller: OrgAccess, body: AddMemberBody): Promise<MemberResponse> {
    const orgId = caller.orgId;
    assertMayGrant(caller, body.role);
    const scopeKind = body.scope_kind ?? 'organization';
    const scopeId = body.scope_id ?? orgId;
    const added = await this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      await assertScopeInOrg(db, orgId, scopeKind, scopeId);
      const userId = await upsertUser(db, body.user_sub, body.email);
      const { identifiers } = await db.getRepository(Membership).insert({
        userId,
        orgId,
        scopeKind,
        scopeId,
        role: body.role,
        source: 'manual',
      });
      const added = await this.find(db, orgId, (identifiers[0] as { id: string }).id);
      await this.audit.record(db, caller.actor, orgId, 'tenancy.member_added', describe(added));
      return added;
    });
    await this.memberships.invalidate(orgId);
    return toMemberResponse(added);
  }

  async changeRole(caller: OrgAccess, membershipId: string, role: Role): Promise<MemberResponse> {
    const orgId = caller.orgId;
    const changed = await this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      const owners = await this.lockOwners(db, orgId);
      const current = await this.find(db, orgId, membershipId);
      assertMayGrant(caller, current.role);
      assertMayGrant(caller, role);
      if (isOrgOwner(current) && role !== 'owner' && owners.length <= 1) throw lastOwner();
      await db.getRepository(Membership).update({ id: membershipId, orgId }, { role });
      await this.audit.record(db, caller.actor, orgId, 'tenancy.member_role_changed', {
        ...describe(current),
        previous_role: current.role,
        role,
      });
      return { ...toMemberResponse(current), role };
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
      await db.getRepository(Membership).delete({ id: membershipId, orgId });
      await this.audit.record(db, caller.actor, orgId, 'tenancy.member_removed', describe(current));
    });
    await this.memberships.invalidate(orgId);
  }

  /**
   * Locks the organization's owner memberships for the rest of the transaction. Two admins removing
   * the last two owners at once then run one after the other, and the second sees one owner left.
   */
  private lockOwners(db: EntityManager, orgId: string): Promise<Pick<Membership, 'id'>[]> {
    return db.getRepository(Membership).find({
      select: { id: true },
      where: { orgId, scopeKind: 'organization', role: 'owner' },
      lock: { mode: 'pessimistic_write' },
    });
  }

  /** The membership with its user (whose `sub` the response and the ledger name). */
  private async find(db: EntityManager, orgId: string, membershipId: string): Promise<Membership> {
    const membership = await db
      .getRepository(Membership)
      .findOne({ where: { id: membershipId, orgId }, relations: { user: true } });
    if (!membership) throw notFound('membership');
    return membership;
  }
}

/** Only an owner makes, unmakes or touches an owner; an admin manages everyone below. */
function assertMayGrant(caller: OrgAccess, role: Role): void {
  if (role === 'owner' && !caller.clusterAdmin && !meets(caller.role, 'owner')) {
    throw new AuthError('org_forbidden');
  }
}

/** What a ledger row says of a membership: whose, where and what (the subject, not the email). */
function describe(membership: Membership): Record<string, unknown> {
  return {
    membership_id: membership.id,
    member_sub: membership.user.sub,
    scope_kind: membership.scopeKind,
    scope_id: membership.scopeId,
    role: membership.role,
  };
}

function isOrgOwner(membership: Membership): boolean {
  return membership.scopeKind === 'organization' && membership.role === 'owner';
}

function lastOwner(): RequestError {
  return new RequestError(
    'last_owner',
    409,
    'An organization keeps at least one owner: add another owner first',
  );
}

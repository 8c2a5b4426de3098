import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { SYSTEM_SCOPE, TenantDb } from '../../database/tenant-db';
import { RequestError } from '../../common/errors/request-error';
import type { Principal } from '../../identity/principal';
import { MembershipCache } from '../memberships/membership-cache';
import { Membership } from '../memberships/membership.entity';
import type { ChangeActor, OrgAccess } from '../org-scope/org-access';
import { TenancyAudit } from '../tenancy-audit';
import { type Page, type PageQuery, pageOf } from '../pagination';
import { notFound, upsertUser, userIdOf } from '../tenancy-rows';
import {
  type CreateOrganizationBody,
  type OrganizationResponse,
  type OrganizationStrategyBody,
  toOrganizationResponse,
} from './organizations.dto';
import { Organization } from './organization.entity';

@Injectable()
export class OrganizationsService {
  constructor(
    private readonly tenantDb: TenantDb,
    private readonly memberships: MembershipCache,
    private readonly audit: TenancyAudit,
  ) {}

  /**
   * The organizations the caller belongs to (all of them for `admin:cluster`). Runs in the caller's
   * user scope: under strict row-level security the database itself hides every other organization.
   */
  async listForCaller(principal: Principal, query: PageQuery): Promise<Page<OrganizationResponse>> {
    if (principal.permissions.has('admin:cluster')) {
      return this.tenantDb.run(SYSTEM_SCOPE, (db) =>
        pageOf(
          db.getRepository(Organization).createQueryBuilder('organization'),
          query,
          toOrganizationResponse,
        ),
      );
    }
    const userId = await userIdOf(this.tenantDb, principal.sub);
    if (!userId) return { items: [], next_cursor: null };
    return this.tenantDb.run({ kind: 'user', userId }, (db) => {
      const organizations = db.getRepository(Organization).createQueryBuilder('organization');
      const memberOf = organizations
        .subQuery()
        .select('membership.orgId')
        .from(Membership, 'membership')
        .where('membership.userId = :userId', { userId })
        .getQuery();
      return pageOf(organizations.where(`organization.id IN ${memberOf}`), query, toOrganizationResponse);
    });
  }

  get(orgId: string): Promise<OrganizationResponse> {
    return this.tenantDb.run({ kind: 'org', orgId }, async (db) =>
      toOrganizationResponse(await this.find(db, orgId)),
    );
  }

  /** An institutional organization bound to its Auth0 Organization, with its first owner. */
  async createInstitutional(actor: ChangeActor, body: CreateOrganizationBody): Promise<OrganizationResponse> {
    const org = await this.tenantDb.run(SYSTEM_SCOPE, async (db) => {
      const organizations = db.getRepository(Organization);
      const created = organizations.create({
        kind: 'institutional',
        name: body.name,
        auth0OrgId: body.auth0_org_id,
      });
      await organizations.insert(created); // fills in id and created_at
      const ownerId = await upsertUser(db, body.owner_sub, body.owner_email);
      await db.getRepository(Membership).insert({
        userId: ownerId,
        orgId: created.id,
        scopeKind: 'organization',
        scopeId: created.id,
        role: 'owner',
        source: 'manual',
      });
      await this.audit.record(db, actor, created.id, 'tenancy.org_created', {
        kind: created.kind,
        name: created.name,
        auth0_org_id: created.auth0OrgId,
        owner_sub: body.owner_sub,
      });
      return created;
    });
    await this.memberships.invalidate(org.id);
    return toOrganizationResponse(org);
  }

  rename(org: OrgAccess, name: string): Promise<OrganizationResponse> {
    const orgId = org.orgId;
    return this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      const renamed = await this.change(db, orgId, { name });
      await this.audit.record(db, org.actor, orgId, 'tenancy.org_renamed', { name });
      return toOrganizationResponse(renamed);
    });
  }

  /** Binding or unbinding the Auth0 Organization changes which tokens' org claims name this org. */
  async changeStrategy(org: OrgAccess, body: OrganizationStrategyBody): Promise<OrganizationResponse> {
    const orgId = org.orgId;
    const auth0OrgId = body.kind === 'institutional' ? body.auth0_org_id : null;
    if (body.kind === 'institutional' && !auth0OrgId) {
      throw new RequestError(
        'invalid_request',
        400,
        'auth0_org_id is required for an institutional organization',
      );
    }
    const updated = await this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      const changed = await this.change(db, orgId, { kind: body.kind, auth0OrgId: auth0OrgId ?? null });
      await this.audit.record(db, org.actor, orgId, 'tenancy.org_strategy_changed', {
        kind: body.kind,
        auth0_org_id: auth0OrgId,
      });
      return changed;
    });
    await this.memberships.invalidate(orgId);
    return toOrganizationResponse(updated);
  }

  private async find(db: EntityManager, orgId: string): Promise<Organization> {
    const organization = await db.getRepository(Organization).findOneBy({ id: orgId });
    if (!organization) throw notFound('organization');
    return organization;
  }

  /** Under row-level security another organization's row is simply not there: 404 as for any unknown id. */
  private async change(
    db: EntityManager,
    orgId: string,
    change: Partial<Pick<Organization, 'name' | 'kind' | 'auth0OrgId'>>,
  ): Promise<Organization> {
    const { affected } = await db.getRepository(Organization).update({ id: orgId }, change);
    if (!affected) throw notFound('organization');
    return this.find(db, orgId);
  }
}

import { Injectable } from '@nestjs/common';
import { SYSTEM_SCOPE, TenantDb } from '../../database/tenant-db';
import { RequestError } from '../../common/errors/request-error';
import type { Principal } from '../../identity/principal';
import { MembershipCache } from '../memberships/membership-cache';
import type { ChangeActor, OrgAccess } from '../org-scope/org-access';
import { TenancyAudit } from '../tenancy-audit';
import { type Page, type PageQuery, pageSql, toPage } from '../pagination';
import { one, upsertUser, userIdOf } from '../tenancy-rows';
import type { CreateOrganizationBody, OrganizationStrategyBody } from './organizations.dto';
import type { OrganizationKind } from './organization.entity';

export interface OrganizationView {
  id: string;
  kind: OrganizationKind;
  name: string;
  auth0_org_id: string | null;
  created_at: Date;
}

const COLUMNS = 'id, kind, name, auth0_org_id, created_at';

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
  async listForCaller(principal: Principal, query: PageQuery): Promise<Page<OrganizationView>> {
    if (principal.permissions.has('admin:cluster')) {
      const page = pageSql('organizations', COLUMNS, 'TRUE', [], query);
      return this.tenantDb.run(SYSTEM_SCOPE, async (db) =>
        toPage(
          await db.query<(OrganizationView & { cursor_at: string })[]>(page.sql, page.params),
          page.limit,
        ),
      );
    }
    const userId = await userIdOf(this.tenantDb, principal.sub);
    if (!userId) return { items: [], next_cursor: null };
    const page = pageSql(
      'organizations',
      COLUMNS,
      'id IN (SELECT org_id FROM memberships WHERE user_id = $1)',
      [userId],
      query,
    );
    return this.tenantDb.run({ kind: 'user', userId }, async (db) =>
      toPage(await db.query<(OrganizationView & { cursor_at: string })[]>(page.sql, page.params), page.limit),
    );
  }

  get(orgId: string): Promise<OrganizationView> {
    return this.tenantDb.run({ kind: 'org', orgId }, async (db) =>
      one(
        await db.query<OrganizationView[]>(`SELECT ${COLUMNS} FROM organizations WHERE id = $1`, [orgId]),
        'organization',
      ),
    );
  }

  /** An institutional organization bound to its Auth0 Organization, with its first owner. */
  async createInstitutional(actor: ChangeActor, body: CreateOrganizationBody): Promise<OrganizationView> {
    const org = await this.tenantDb.run(SYSTEM_SCOPE, async (db) => {
      const created = one(
        await db.query<OrganizationView[]>(
          `INSERT INTO organizations (kind, name, auth0_org_id) VALUES ('institutional', $1, $2) RETURNING ${COLUMNS}`,
          [body.name, body.auth0_org_id],
        ),
        'organization',
      );
      const ownerId = await upsertUser(db, body.owner_sub, body.owner_email);
      await db.query(
        `INSERT INTO memberships (user_id, org_id, scope_kind, scope_id, role, source)
         VALUES ($1, $2, 'organization', $2, 'owner', 'manual')`,
        [ownerId, created.id],
      );
      await this.audit.record(db, actor, created.id, 'tenancy.org_created', {
        kind: created.kind,
        name: created.name,
        auth0_org_id: created.auth0_org_id,
        owner_sub: body.owner_sub,
      });
      return created;
    });
    await this.memberships.invalidate(org.id);
    return org;
  }

  rename(org: OrgAccess, name: string): Promise<OrganizationView> {
    const orgId = org.orgId;
    return this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      const [rows] = await db.query<[OrganizationView[], number]>(
        `UPDATE organizations SET name = $2 WHERE id = $1 RETURNING ${COLUMNS}`,
        [orgId, name],
      );
      const renamed = one(rows, 'organization');
      await this.audit.record(db, org.actor, orgId, 'tenancy.org_renamed', { name });
      return renamed;
    });
  }

  /** Binding or unbinding the Auth0 Organization changes which tokens' org claims name this org. */
  async changeStrategy(org: OrgAccess, body: OrganizationStrategyBody): Promise<OrganizationView> {
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
      const [rows] = await db.query<[OrganizationView[], number]>(
        `UPDATE organizations SET kind = $2, auth0_org_id = $3 WHERE id = $1 RETURNING ${COLUMNS}`,
        [orgId, body.kind, auth0OrgId],
      );
      const changed = one(rows, 'organization');
      await this.audit.record(db, org.actor, orgId, 'tenancy.org_strategy_changed', {
        kind: body.kind,
        auth0_org_id: auth0OrgId,
      });
      return changed;
    });
    await this.memberships.invalidate(orgId);
    return updated;
  }
}

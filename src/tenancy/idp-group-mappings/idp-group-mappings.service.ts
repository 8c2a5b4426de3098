import { Injectable } from '@nestjs/common';
import { TenantDb } from '../../database/tenant-db';
import { AuthError } from '../../identity/errors/auth-error';
import type { Role, ScopeKind } from '../memberships/membership.entity';
import type { OrgAccess } from '../org-scope/org-access';
import { type Page, type PageQuery, pageSql, toPage } from '../pagination';
import { TenancyAudit } from '../tenancy-audit';
import { assertScopeInOrg, one } from '../tenancy-rows';

export interface IdpGroupMappingView {
  id: string;
  org_id: string;
  connection_id: string;
  external_group: string;
  scope_kind: ScopeKind;
  scope_id: string;
  role: Role;
  created_at: Date;
}

export interface NewIdpGroupMapping {
  connectionId: string;
  externalGroup: string;
  scopeKind: ScopeKind;
  scopeId: string;
  role: Role;
}

const COLUMNS = 'id, org_id, connection_id, external_group, scope_kind, scope_id, role, created_at';
const WHAT = 'IdP group mapping';

/**
 * `(org, connection, external_group) → (scope_kind, scope_id, role)`: what membership an IdP group
 * grants at sign-in. The connection and the scope must both belong to the organization.
 */
@Injectable()
export class IdpGroupMappingsService {
  constructor(
    private readonly tenantDb: TenantDb,
    private readonly audit: TenancyAudit,
  ) {}

  list(orgId: string, query: PageQuery, connectionId?: string): Promise<Page<IdpGroupMappingView>> {
    const page =
      connectionId === undefined
        ? pageSql('idp_group_mappings', COLUMNS, 'org_id = $1', [orgId], query)
        : pageSql(
            'idp_group_mappings',
            COLUMNS,
            'org_id = $1 AND connection_id = $2',
            [orgId, connectionId],
            query,
          );
    return this.tenantDb.run({ kind: 'org', orgId }, async (db) =>
      toPage(
        await db.query<(IdpGroupMappingView & { cursor_at: string })[]>(page.sql, page.params),
        page.limit,
      ),
    );
  }

  get(orgId: string, mappingId: string): Promise<IdpGroupMappingView> {
    return this.tenantDb.run({ kind: 'org', orgId }, async (db) =>
      one(
        await db.query<IdpGroupMappingView[]>(
          `SELECT ${COLUMNS} FROM idp_group_mappings WHERE id = $1 AND org_id = $2`,
          [mappingId, orgId],
        ),
        WHAT,
      ),
    );
  }

  /**
   * Another organization's connection or scope is a 404, as any id of another tenant; the same group
   * mapped twice to one scope is a 409 (unique constraint). A mapping that grants `owner` makes
   * owners of whoever the IdP puts in the group, so, as with invites, only an owner may create one.
   */
  create(org: OrgAccess, mapping: NewIdpGroupMapping): Promise<IdpGroupMappingView> {
    if (mapping.role === 'owner' && org.role !== 'owner') throw new AuthError('org_forbidden');
    const orgId = org.orgId;
    return this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      one(
        await db.query<unknown[]>(`SELECT 1 FROM idp_connections WHERE id = $1 AND org_id = $2`, [
          mapping.connectionId,
          orgId,
        ]),
        'IdP connection in this organization',
      );
      await assertScopeInOrg(db, orgId, mapping.scopeKind, mapping.scopeId);
      const created = one(
        await db.query<IdpGroupMappingView[]>(
          `INSERT INTO idp_group_mappings (org_id, connection_id, external_group, scope_kind, scope_id, role)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
          [
            orgId,
            mapping.connectionId,
            mapping.externalGroup,
            mapping.scopeKind,
            mapping.scopeId,
            mapping.role,
          ],
        ),
        WHAT,
      );
      await this.audit.record(db, org.actor, orgId, 'tenancy.idp_group_mapping_created', {
        mapping_id: created.id,
        connection_id: mapping.connectionId,
        external_group: mapping.externalGroup,
        scope_kind: mapping.scopeKind,
        scope_id: mapping.scopeId,
        role: mapping.role,
      });
      return created;
    });
  }

  /** Memberships it already granted stay until the user's next group sync, which removes them. */
  async remove(org: OrgAccess, mappingId: string): Promise<void> {
    const orgId = org.orgId;
    await this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      const [rows] = await db.query<[{ id: string }[], number]>(
        `DELETE FROM idp_group_mappings WHERE id = $1 AND org_id = $2 RETURNING id`,
        [mappingId, orgId],
      );
      one(rows, WHAT);
      await this.audit.record(db, org.actor, orgId, 'tenancy.idp_group_mapping_deleted', {
        mapping_id: mappingId,
      });
    });
  }
}

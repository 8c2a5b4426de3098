import { Injectable } from '@nestjs/common';
import { TenantDb } from '../../database/tenant-db';
import { AuthError } from '../../identity/errors/auth-error';
import type { ScopeKind } from '../memberships/membership.entity';
import type { Role } from '../memberships/roles';
import { IdpConnection } from '../idp-connections/idp-connection.entity';
import type { OrgAccess } from '../org-scope/org-access';
import { type Page, type PageQuery, pageOf } from '../pagination';
import { TenancyAudit } from '../tenancy-audit';
import { assertScopeInOrg, notFound } from '../tenancy-rows';
import { IdpGroupMapping } from './idp-group-mapping.entity';
import { type IdpGroupMappingResponse, toIdpGroupMappingResponse } from './idp-group-mappings.dto';

export interface NewIdpGroupMapping {
  connectionId: string;
  externalGroup: string;
  scopeKind: ScopeKind;
  scopeId: string;
  role: Role;
}

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

  list(orgId: string, query: PageQuery, connectionId?: string): Promise<Page<IdpGroupMappingResponse>> {
    return this.tenantDb.run({ kind: 'org', orgId }, (db) => {
      const mappings = db
        .getRepository(IdpGroupMapping)
        .createQueryBuilder('mapping')
        .where('mapping.orgId = :orgId', { orgId });
      if (connectionId !== undefined)
        mappings.andWhere('mapping.connectionId = :connectionId', { connectionId });
      return pageOf(mappings, query, toIdpGroupMappingResponse);
    });
  }

  get(orgId: string, mappingId: string): Promise<IdpGroupMappingResponse> {
    return this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      const mapping = await db.getRepository(IdpGroupMapping).findOneBy({ id: mappingId, orgId });
      if (!mapping) throw notFound(WHAT);
      return toIdpGroupMappingResponse(mapping);
    });
  }

  /**
   * Another organization's connection or scope is a 404, as any id of another tenant; the same group
   * mapped twice to one scope is a 409 (unique constraint). A mapping that grants `owner` makes
   * owners of whoever the IdP puts in the group, so, as with invites, only an owner may create one.
   */
  create(org: OrgAccess, mapping: NewIdpGroupMapping): Promise<IdpGroupMappingResponse> {
    if (mapping.role === 'owner' && org.role !== 'owner') throw new AuthError('org_forbidden');
    const orgId = org.orgId;
    return this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      const connectionFound = await db.exists(IdpConnection, { where: { id: mapping.connectionId, orgId } });
      if (!connectionFound) throw notFound('IdP connection in this organization');
      await assertScopeInOrg(db, orgId, mapping.scopeKind, mapping.scopeId);
      const mappings = db.getRepository(IdpGroupMapping);
      const created = mappings.create({
        orgId,
        connectionId: mapping.connectionId,
        externalGroup: mapping.externalGroup,
        scopeKind: mapping.scopeKind,
        scopeId: mapping.scopeId,
        role: mapping.role,
      });
      await mappings.insert(created); // fills in id and created_at
      await this.audit.record(db, org.actor, orgId, 'tenancy.idp_group_mapping_created', {
        mapping_id: created.id,
        connection_id: mapping.connectionId,
        external_group: mapping.externalGroup,
        scope_kind: mapping.scopeKind,
        scope_id: mapping.scopeId,
        role: mapping.role,
      });
      return toIdpGroupMappingResponse(created);
    });
  }

  /** Memberships it already granted stay until the user's next group sync, which removes them. */
  async remove(org: OrgAccess, mappingId: string): Promise<void> {
    const orgId = org.orgId;
    await this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      const { affected } = await db.getRepository(IdpGroupMapping).delete({ id: mappingId, orgId });
      if (!affected) throw notFound(WHAT);
      await this.audit.record(db, org.actor, orgId, 'tenancy.idp_group_mapping_deleted', {
        mapping_id: mappingId,
      });
    });
  }
}

import { Injectable } from '@nestjs/common';
import { TenantDb } from '../../database/tenant-db';
import { RequestError } from '../../common/errors/request-error';
import { type Page, type PageQuery, pageOf } from '../pagination';
import type { OrgAccess } from '../org-scope/org-access';
import { TenancyAudit } from '../tenancy-audit';
import { notFound } from '../tenancy-rows';
import { IdpConnection, type IdpConnectionStatus, type IdpKind } from './idp-connection.entity';
import { type IdpConnectionResponse, toIdpConnectionResponse } from './idp-connections.dto';

const WHAT = 'IdP connection';

/**
 * An organization's enterprise IdP connections. Group sync (`/_internal/idp/sync-groups`) reads the
 * active ones; a disabled connection keeps its group mappings but grants nothing through them.
 */
@Injectable()
export class IdpConnectionsService {
  constructor(
    private readonly tenantDb: TenantDb,
    private readonly audit: TenancyAudit,
  ) {}

  list(orgId: string, query: PageQuery): Promise<Page<IdpConnectionResponse>> {
    return this.tenantDb.run({ kind: 'org', orgId }, (db) =>
      pageOf(
        db
          .getRepository(IdpConnection)
          .createQueryBuilder('connection')
          .where('connection.orgId = :orgId', { orgId }),
        query,
        toIdpConnectionResponse,
      ),
    );
  }

  get(orgId: string, connectionId: string): Promise<IdpConnectionResponse> {
    return this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      const connection = await db.getRepository(IdpConnection).findOneBy({ id: connectionId, orgId });
      if (!connection) throw notFound(WHAT);
      return toIdpConnectionResponse(connection);
    });
  }

  /** A second connection with the same name in the organization is a 409 (unique constraint). */
  create(
    org: OrgAccess,
    kind: IdpKind,
    connectionName: string,
    status: IdpConnectionStatus = 'active',
  ): Promise<IdpConnectionResponse> {
    const orgId = org.orgId;
    return this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      const connections = db.getRepository(IdpConnection);
      const connection = connections.create({ orgId, kind, connectionName, status });
      await connections.insert(connection); // fills in id and created_at
      await this.audit.record(db, org.actor, orgId, 'tenancy.idp_connection_created', {
        connection_id: connection.id,
        kind,
        connection_name: connectionName,
        status,
      });
      return toIdpConnectionResponse(connection);
    });
  }

  update(
    org: OrgAccess,
    connectionId: string,
    change: { connectionName?: string; status?: IdpConnectionStatus },
  ): Promise<IdpConnectionResponse> {
    if (change.connectionName === undefined && change.status === undefined) {
      throw new RequestError('invalid_request', 400, 'send connection_name, status or both');
    }
    const orgId = org.orgId;
    return this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      const connections = db.getRepository(IdpConnection);
      const { affected } = await connections.update(
        { id: connectionId, orgId },
        {
          ...(change.connectionName !== undefined && { connectionName: change.connectionName }),
          ...(change.status !== undefined && { status: change.status }),
        },
      );
      const connection = affected ? await connections.findOneBy({ id: connectionId, orgId }) : null;
      if (!connection) throw notFound(WHAT);
      await this.audit.record(db, org.actor, orgId, 'tenancy.idp_connection_updated', {
        connection_id: connectionId,
        connection_name: change.connectionName,
        status: change.status,
      });
      return toIdpConnectionResponse(connection);
    });
  }

  /**
   * Its group mappings go with it (foreign key cascade). Memberships that group sync already granted
   * through them stay until the user's next sync, which removes what no mapping grants any more.
   */
  async remove(org: OrgAccess, connectionId: string): Promise<void> {
    const orgId = org.orgId;
    await this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      const { affected } = await db.getRepository(IdpConnection).delete({ id: connectionId, orgId });
      if (!affected) throw notFound(WHAT);
      await this.audit.record(db, org.actor, orgId, 'tenancy.idp_connection_deleted', {
        connection_id: connectionId,
      });
    });
  }
}

import { Injectable } from '@nestjs/common';
import { TenantDb } from '../../database/tenant-db';
import { RequestError } from '../../common/errors/request-error';
import { type Page, type PageQuery, pageSql, toPage } from '../pagination';
import type { OrgAccess } from '../org-scope/org-access';
import { TenancyAudit } from '../tenancy-audit';
import { one } from '../tenancy-rows';
import type { IdpConnectionStatus, IdpKind } from './idp-connection.entity';

export interface IdpConnectionView {
  id: string;
  org_id: string;
  kind: IdpKind;
  connection_name: string;
  status: IdpConnectionStatus;
  created_at: Date;
}

const COLUMNS = 'id, org_id, kind, connection_name, status, created_at';
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

  list(orgId: string, query: PageQuery): Promise<Page<IdpConnectionView>> {
    const page = pageSql('idp_connections', COLUMNS, 'org_id = $1', [orgId], query);
    return this.tenantDb.run({ kind: 'org', orgId }, async (db) =>
      toPage(
        await db.query<(IdpConnectionView & { cursor_at: string })[]>(page.sql, page.params),
        page.limit,
      ),
    );
  }

  get(orgId: string, connectionId: string): Promise<IdpConnectionView> {
    return this.tenantDb.run({ kind: 'org', orgId }, async (db) =>
      one(
        await db.query<IdpConnectionView[]>(
          `SELECT ${COLUMNS} FROM idp_connections WHERE id = $1 AND org_id = $2`,
          [connectionId, orgId],
        ),
        WHAT,
      ),
    );
  }

  /** A second connection with the same name in the organization is a 409 (unique constraint). */
  create(
    org: OrgAccess,
    kind: IdpKind,
    connectionName: string,
    status: IdpConnectionStatus = 'active',
  ): Promise<IdpConnectionView> {
    const orgId = org.orgId;
    return this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      const connection = one(
        await db.query<IdpConnectionView[]>(
          `INSERT INTO idp_connections (org_id, kind, connection_name, status) VALUES ($1, $2, $3, $4)
           RETURNING ${COLUMNS}`,
          [orgId, kind, connectionName, status],
        ),
        WHAT,
      );
      await this.audit.record(db, org.actor, orgId, 'tenancy.idp_connection_created', {
        connection_id: connection.id,
        kind,
        connection_name: connectionName,
        status,
      });
      return connection;
    });
  }

  update(
    org: OrgAccess,
    connectionId: string,
    change: { connectionName?: string; status?: IdpConnectionStatus },
  ): Promise<IdpConnectionView> {
    if (change.connectionName === undefined && change.status === undefined) {
      throw new RequestError('invalid_request', 400, 'send connection_name, status or both');
    }
    const orgId = org.orgId;
    return this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      const [rows] = await db.query<[IdpConnectionView[], number]>(
        `UPDATE idp_connections
            SET connection_name = coalesce($3, connection_name), status = coalesce($4, status)
          WHERE id = $1 AND org_id = $2 RETURNING ${COLUMNS}`,
        [connectionId, orgId, change.connectionName ?? null, change.status ?? null],
      );
      const connection = one(rows, WHAT);
      await this.audit.record(db, org.actor, orgId, 'tenancy.idp_connection_updated', {
        connection_id: connectionId,
        connection_name: change.connectionName,
        status: change.status,
      });
      return connection;
    });
  }

  /**
   * Its group mappings go with it (foreign key cascade). Memberships that group sync already granted
   * through them stay until the user's next sync, which removes what no mapping grants any more.
   */
  async remove(org: OrgAccess, connectionId: string): Promise<void> {
    const orgId = org.orgId;
    await this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      const [rows] = await db.query<[{ id: string }[], number]>(
        `DELETE FROM idp_connections WHERE id = $1 AND org_id = $2 RETURNING id`,
        [connectionId, orgId],
      );
      one(rows, WHAT);
      await this.audit.record(db, org.actor, orgId, 'tenancy.idp_connection_deleted', {
        connection_id: connectionId,
      });
    });
  }
}

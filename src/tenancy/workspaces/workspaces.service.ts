import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { TenantDb } from '../../database/tenant-db';
import { RequestError } from '../../common/errors/request-error';
import { MembershipCache } from '../memberships/membership-cache';
import type { OrgAccess } from '../org-scope/org-access';
import { TenancyAudit } from '../tenancy-audit';
import { type Page, type PageQuery, pageSql, toPage } from '../pagination';
import { assertScopeInOrg, deleteScopeGrants, one } from '../tenancy-rows';
import type { CreateWorkspaceBody, UpdateWorkspaceBody } from './workspaces.dto';

export interface WorkspaceView {
  id: string;
  org_id: string;
  team_id: string | null;
  name: string;
  created_at: Date;
}

/** A project or a lab: the two leaves of the scope chain, under one workspace. */
export interface WorkspaceChildView {
  id: string;
  org_id: string;
  workspace_id: string;
  name: string;
  created_at: Date;
}

export type WorkspaceChildKind = 'project' | 'lab';
const CHILD_TABLES: Readonly<Record<WorkspaceChildKind, 'projects' | 'labs'>> = {
  project: 'projects',
  lab: 'labs',
};

const COLUMNS = 'id, org_id, team_id, name, created_at';
const CHILD_COLUMNS = 'id, org_id, workspace_id, name, created_at';

@Injectable()
export class WorkspacesService {
  constructor(
    private readonly tenantDb: TenantDb,
    private readonly memberships: MembershipCache,
    private readonly audit: TenancyAudit,
  ) {}

  list(orgId: string, teamId: string | undefined, query: PageQuery): Promise<Page<WorkspaceView>> {
    const page = teamId
      ? pageSql('workspaces', COLUMNS, 'org_id = $1 AND team_id = $2', [orgId, teamId], query)
      : pageSql('workspaces', COLUMNS, 'org_id = $1', [orgId], query);
    return this.tenantDb.run({ kind: 'org', orgId }, async (db) =>
      toPage(await db.query<(WorkspaceView & { cursor_at: string })[]>(page.sql, page.params), page.limit),
    );
  }

  get(orgId: string, workspaceId: string): Promise<WorkspaceView> {
    return this.tenantDb.run({ kind: 'org', orgId }, (db) => this.find(db, orgId, workspaceId));
  }

  create(org: OrgAccess, body: CreateWorkspaceBody): Promise<WorkspaceView> {
    const orgId = org.orgId;
    return this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      if (body.team_id) await assertScopeInOrg(db, orgId, 'team', body.team_id);
      const workspace = one(
        await db.query<WorkspaceView[]>(
          `INSERT INTO workspaces (org_id, team_id, name) VALUES ($1, $2, $3) RETURNING ${COLUMNS}`,
          [orgId, body.team_id ?? null, body.name],
        ),
        'workspace',
      );
      await this.audit.record(db, org.actor, orgId, 'tenancy.workspace_created', {
        workspace_id: workspace.id,
        team_id: workspace.team_id,
        name: workspace.name,
      });
      return workspace;
    });
  }

  /** Moving a workspace between teams changes who inherits a role on it. */
  async update(org: OrgAccess, workspaceId: string, body: UpdateWorkspaceBody): Promise<WorkspaceView> {
    const orgId = org.orgId;
    if (body.name === undefined && body.team_id === undefined) {
      throw new RequestError('invalid_request', 400, 'nothing to change: give name and/or team_id');
    }
    const updated = await this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      const current = await this.find(db, orgId, workspaceId);
      if (body.team_id) await assertScopeInOrg(db, orgId, 'team', body.team_id);
      const [rows] = await db.query<[WorkspaceView[], number]>(
        `UPDATE workspaces SET name = $3, team_id = $4 WHERE id = $1 AND org_id = $2 RETURNING ${COLUMNS}`,
        [
          workspaceId,
          orgId,
          body.name ?? current.name,
          body.team_id === undefined ? current.team_id : body.team_id,
        ],
      );
      const workspace = one(rows, 'workspace');
      await this.audit.record(db, org.actor, orgId, 'tenancy.workspace_updated', {
        workspace_id: workspaceId,
        changes: body,
      });
      return workspace;
    });
    if (body.team_id !== undefined) await this.memberships.invalidate(orgId);
    return updated;
  }

  /** Its projects and labs go with it (foreign keys), and so do the memberships on all three. */
  async remove(org: OrgAccess, workspaceId: string): Promise<void> {
    const orgId = org.orgId;
    await this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      await this.find(db, orgId, workspaceId);
      for (const kind of ['project', 'lab'] as const) {
        const children = await db.query<{ id: string }[]>(
          `SELECT id FROM ${CHILD_TABLES[kind]} WHERE workspace_id = $1 AND org_id = $2`,
          [workspaceId, orgId],
        );
        await deleteScopeGrants(
          db,
          orgId,
          kind,
          children.map((child) => child.id),
        );
      }
      await deleteScopeGrants(db, orgId, 'workspace', [workspaceId]);
      await db.query(`DELETE FROM workspaces WHERE id = $1 AND org_id = $2`, [workspaceId, orgId]);
      await this.audit.record(db, org.actor, orgId, 'tenancy.workspace_deleted', {
        workspace_id: workspaceId,
      });
    });
    await this.memberships.invalidate(orgId);
  }

  // ── Projects and labs: every query runs scoped to the workspace as well as the organization ──

  listChildren(
    kind: WorkspaceChildKind,
    orgId: string,
    workspaceId: string,
    query: PageQuery,
  ): Promise<Page<WorkspaceChildView>> {
    const page = pageSql(
      CHILD_TABLES[kind],
      CHILD_COLUMNS,
      'org_id = $1 AND workspace_id = $2',
      [orgId, workspaceId],
      query,
    );
    return this.tenantDb.run({ kind: 'org', orgId, workspaceId }, async (db) => {
      await this.find(db, orgId, workspaceId);
      return toPage(
        await db.query<(WorkspaceChildView & { cursor_at: string })[]>(page.sql, page.params),
        page.limit,
      );
    });
  }

  getChild(
    kind: WorkspaceChildKind,
    orgId: string,
    workspaceId: string,
    id: string,
  ): Promise<WorkspaceChildView> {
    return this.tenantDb.run({ kind: 'org', orgId, workspaceId }, async (db) =>
      one(
        await db.query<WorkspaceChildView[]>(
          `SELECT ${CHILD_COLUMNS} FROM ${CHILD_TABLES[kind]} WHERE id = $1 AND workspace_id = $2 AND org_id = $3`,
          [id, workspaceId, orgId],
        ),
        kind,
      ),
    );
  }

  createChild(
    kind: WorkspaceChildKind,
    org: OrgAccess,
    workspaceId: string,
    name: string,
  ): Promise<WorkspaceChildView> {
    const orgId = org.orgId;
    return this.tenantDb.run({ kind: 'org', orgId, workspaceId }, async (db) => {
      await this.find(db, orgId, workspaceId);
      const child = one(
        await db.query<WorkspaceChildView[]>(
          `INSERT INTO ${CHILD_TABLES[kind]} (org_id, workspace_id, name) VALUES ($1, $2, $3) RETURNING ${CHILD_COLUMNS}`,
          [orgId, workspaceId, name],
        ),
        kind,
      );
      await this.audit.record(db, org.actor, orgId, `tenancy.${kind}_created`, {
        [`${kind}_id`]: child.id,
        workspace_id: workspaceId,
        name,
      });
      return child;
    });
  }

  renameChild(
    kind: WorkspaceChildKind,
    org: OrgAccess,
    workspaceId: string,
    id: string,
    name: string,
  ): Promise<WorkspaceChildView> {
    const orgId = org.orgId;
    return this.tenantDb.run({ kind: 'org', orgId, workspaceId }, async (db) => {
      const [rows] = await db.query<[WorkspaceChildView[], number]>(
        `UPDATE ${CHILD_TABLES[kind]} SET name = $4 WHERE id = $1 AND workspace_id = $2 AND org_id = $3 RETURNING ${CHILD_COLUMNS}`,
        [id, workspaceId, orgId, name],
      );
      const child = one(rows, kind);
      await this.audit.record(db, org.actor, orgId, `tenancy.${kind}_renamed`, { [`${kind}_id`]: id, name });
      return child;
    });
  }

  async removeChild(
    kind: WorkspaceChildKind,
    org: OrgAccess,
    workspaceId: string,
    id: string,
  ): Promise<void> {
    const orgId = org.orgId;
    await this.tenantDb.run({ kind: 'org', orgId, workspaceId }, async (db) => {
      const [rows] = await db.query<[{ id: string }[], number]>(
        `DELETE FROM ${CHILD_TABLES[kind]} WHERE id = $1 AND workspace_id = $2 AND org_id = $3 RETURNING id`,
        [id, workspaceId, orgId],
      );
      one(rows, kind);
      await deleteScopeGrants(db, orgId, kind, [id]);
      await this.audit.record(db, org.actor, orgId, `tenancy.${kind}_deleted`, {
        [`${kind}_id`]: id,
        workspace_id: workspaceId,
      });
    });
    await this.memberships.invalidate(orgId);
  }

  private async find(db: EntityManager, orgId: string, workspaceId: string): Promise<WorkspaceView> {
    return one(
      await db.query<WorkspaceView[]>(`SELECT ${COLUMNS} FROM workspaces WHERE id = $1 AND org_id = $2`, [
        workspaceId,
        orgId,
      ]),
      'workspace',
    );
  }
}

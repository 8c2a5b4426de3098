import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { TenantDb } from '../../database/tenant-db';
import { RequestError } from '../../common/errors/request-error';
import { MembershipCache } from '../memberships/membership-cache';
import type { OrgAccess } from '../org-scope/org-access';
import { Lab, Project } from '../projects/workspace-child.entity';
import { TenancyAudit } from '../tenancy-audit';
import { type Page, type PageQuery, pageOf } from '../pagination';
import { assertScopeInOrg, deleteScopeGrants, notFound } from '../tenancy-rows';
import {
  type CreateWorkspaceBody,
  toWorkspaceChildResponse,
  toWorkspaceResponse,
  type UpdateWorkspaceBody,
  type WorkspaceChildResponse,
  type WorkspaceResponse,
} from './workspaces.dto';
import { Workspace } from './workspace.entity';

export type WorkspaceChildKind = 'project' | 'lab';
/** A project or a lab: the two leaves of the scope chain, under one workspace (one entity shape). */
const CHILD_ENTITIES: Readonly<Record<WorkspaceChildKind, typeof Project>> = { project: Project, lab: Lab };

@Injectable()
export class WorkspacesService {
  constructor(
    private readonly tenantDb: TenantDb,
    private readonly memberships: MembershipCache,
    private readonly audit: TenancyAudit,
  ) {}

  list(orgId: string, teamId: string | undefined, query: PageQuery): Promise<Page<WorkspaceResponse>> {
    return this.tenantDb.run({ kind: 'org', orgId }, (db) => {
      const workspaces = db
        .getRepository(Workspace)
        .createQueryBuilder('workspace')
        .where('workspace.orgId = :orgId', { orgId });
      if (teamId) workspaces.andWhere('workspace.teamId = :teamId', { teamId });
      return pageOf(workspaces, query, toWorkspaceResponse);
    });
  }

  get(orgId: string, workspaceId: string): Promise<WorkspaceResponse> {
    return this.tenantDb.run({ kind: 'org', orgId }, async (db) =>
      toWorkspaceResponse(await this.find(db, orgId, workspaceId)),
    );
  }

  create(org: OrgAccess, body: CreateWorkspaceBody): Promise<WorkspaceResponse> {
    const orgId = org.orgId;
    return this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      if (body.team_id) await assertScopeInOrg(db, orgId, 'team', body.team_id);
      const workspaces = db.getRepository(Workspace);
      const workspace = workspaces.create({ orgId, teamId: body.team_id ?? null, name: body.name });
      await workspaces.insert(workspace); // fills in id and created_at
      await this.audit.record(db, org.actor, orgId, 'tenancy.workspace_created', {
        workspace_id: workspace.id,
        team_id: workspace.teamId,
        name: workspace.name,
      });
      return toWorkspaceResponse(workspace);
    });
  }

  /** Moving a workspace between teams changes who inherits a role on it. */
  async update(org: OrgAccess, workspaceId: string, body: UpdateWorkspaceBody): Promise<WorkspaceResponse> {
    const orgId = org.orgId;
    if (body.name === undefined && body.team_id === undefined) {
      throw new RequestError('invalid_request', 400, 'nothing to change: give name and/or team_id');
    }
    const updated = await this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      const current = await this.find(db, orgId, workspaceId);
      if (body.team_id) await assertScopeInOrg(db, orgId, 'team', body.team_id);
      const { affected } = await db.getRepository(Workspace).update(
        { id: workspaceId, orgId },
        {
          name: body.name ?? current.name,
          teamId: body.team_id === undefined ? current.teamId : body.team_id,
        },
      );
      if (!affected) throw notFound('workspace');
      const workspace = await this.find(db, orgId, workspaceId);
      await this.audit.record(db, org.actor, orgId, 'tenancy.workspace_updated', {
        workspace_id: workspaceId,
        changes: body,
      });
      return workspace;
    });
    if (body.team_id !== undefined) await this.memberships.invalidate(orgId);
    return toWorkspaceResponse(updated);
  }

  /** Its projects and labs go with it (foreign keys), and so do the memberships on all three. */
  async remove(org: OrgAccess, workspaceId: string): Promise<void> {
    const orgId = org.orgId;
    await this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      await this.find(db, orgId, workspaceId);
      for (const kind of ['project', 'lab'] as const) {
        const children = await db.find(CHILD_ENTITIES[kind], {
          where: { workspaceId, orgId },
          select: { id: true },
        });
        await deleteScopeGrants(
          db,
          orgId,
          kind,
          children.map((child) => child.id),
        );
      }
      await deleteScopeGrants(db, orgId, 'workspace', [workspaceId]);
      await db.delete(Workspace, { id: workspaceId, orgId });
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
  ): Promise<Page<WorkspaceChildResponse>> {
    return this.tenantDb.run({ kind: 'org', orgId, workspaceId }, async (db) => {
      await this.find(db, orgId, workspaceId);
      const children = db
        .getRepository(CHILD_ENTITIES[kind])
        .createQueryBuilder('child')
        .where('child.orgId = :orgId AND child.workspaceId = :workspaceId', { orgId, workspaceId });
      return pageOf(children, query, toWorkspaceChildResponse);
    });
  }

  getChild(
    kind: WorkspaceChildKind,
    orgId: string,
    workspaceId: string,
    id: string,
  ): Promise<WorkspaceChildResponse> {
    return this.tenantDb.run({ kind: 'org', orgId, workspaceId }, async (db) => {
      const child = await db.findOneBy(CHILD_ENTITIES[kind], { id, workspaceId, orgId });
      if (!child) throw notFound(kind);
      return toWorkspaceChildResponse(child);
    });
  }

  createChild(
    kind: WorkspaceChildKind,
    org: OrgAccess,
    workspaceId: string,
    name: string,
  ): Promise<WorkspaceChildResponse> {
    const orgId = org.orgId;
    return this.tenantDb.run({ kind: 'org', orgId, workspaceId }, async (db) => {
      await this.find(db, orgId, workspaceId);
      const children = db.getRepository(CHILD_ENTITIES[kind]);
      const child = children.create({ orgId, workspaceId, name });
      await children.insert(child); // fills in id and created_at
      await this.audit.record(db, org.actor, orgId, `tenancy.${kind}_created`, {
        [`${kind}_id`]: child.id,
        workspace_id: workspaceId,
        name,
      });
      return toWorkspaceChildResponse(child);
    });
  }

  renameChild(
    kind: WorkspaceChildKind,
    org: OrgAccess,
    workspaceId: string,
    id: string,
    name: string,
  ): Promise<WorkspaceChildResponse> {
    const orgId = org.orgId;
    return this.tenantDb.run({ kind: 'org', orgId, workspaceId }, async (db) => {
      const children = db.getRepository(CHILD_ENTITIES[kind]);
      const { affected } = await children.update({ id, workspaceId, orgId }, { name });
      const child = affected ? await children.findOneBy({ id, workspaceId, orgId }) : null;
      if (!child) throw notFound(kind);
      await this.audit.record(db, org.actor, orgId, `tenancy.${kind}_renamed`, { [`${kind}_id`]: id, name });
      return toWorkspaceChildResponse(child);
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
      const { affected } = await db.delete(CHILD_ENTITIES[kind], { id, workspaceId, orgId });
      if (!affected) throw notFound(kind);
      await deleteScopeGrants(db, orgId, kind, [id]);
      await this.audit.record(db, org.actor, orgId, `tenancy.${kind}_deleted`, {
        [`${kind}_id`]: id,
        workspace_id: workspaceId,
      });
    });
    await this.memberships.invalidate(orgId);
  }

  private async find(db: EntityManager, orgId: string, workspaceId: string): Promise<Workspace> {
    const workspace = await db.findOneBy(Workspace, { id: workspaceId, orgId });
    if (!workspace) throw notFound('workspace');
    return workspace;
  }
}

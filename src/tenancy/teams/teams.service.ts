import { Injectable } from '@nestjs/common';
import { TenantDb } from '../../database/tenant-db';
import { MembershipCache } from '../memberships/membership-cache';
import type { OrgAccess } from '../org-scope/org-access';
import { TenancyAudit } from '../tenancy-audit';
import { type Page, type PageQuery, pageSql, toPage } from '../pagination';
import { deleteScopeGrants, one } from '../tenancy-rows';

export interface TeamView {
  id: string;
  org_id: string;
  name: string;
  created_at: Date;
}

const COLUMNS = 'id, org_id, name, created_at';

@Injectable()
export class TeamsService {
  constructor(
    private readonly tenantDb: TenantDb,
    private readonly memberships: MembershipCache,
    private readonly audit: TenancyAudit,
  ) {}

  list(orgId: string, query: PageQuery): Promise<Page<TeamView>> {
    const page = pageSql('teams', COLUMNS, 'org_id = $1', [orgId], query);
    return this.tenantDb.run({ kind: 'org', orgId }, async (db) =>
      toPage(await db.query<(TeamView & { cursor_at: string })[]>(page.sql, page.params), page.limit),
    );
  }

  get(orgId: string, teamId: string): Promise<TeamView> {
    return this.tenantDb.run({ kind: 'org', orgId }, async (db) =>
      one(
        await db.query<TeamView[]>(`SELECT ${COLUMNS} FROM teams WHERE id = $1 AND org_id = $2`, [
          teamId,
          orgId,
        ]),
        'team',
      ),
    );
  }

  create(org: OrgAccess, name: string): Promise<TeamView> {
    const orgId = org.orgId;
    return this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      const team = one(
        await db.query<TeamView[]>(`INSERT INTO teams (org_id, name) VALUES ($1, $2) RETURNING ${COLUMNS}`, [
          orgId,
          name,
        ]),
        'team',
      );
      await this.audit.record(db, org.actor, orgId, 'tenancy.team_created', { team_id: team.id, name });
      return team;
    });
  }

  rename(org: OrgAccess, teamId: string, name: string): Promise<TeamView> {
    const orgId = org.orgId;
    return this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      const [rows] = await db.query<[TeamView[], number]>(
        `UPDATE teams SET name = $3 WHERE id = $1 AND org_id = $2 RETURNING ${COLUMNS}`,
        [teamId, orgId, name],
      );
      const team = one(rows, 'team');
      await this.audit.record(db, org.actor, orgId, 'tenancy.team_renamed', { team_id: teamId, name });
      return team;
    });
  }

  /** Its workspaces stay, directly under the organization; memberships on the team go with it. */
  async remove(org: OrgAccess, teamId: string): Promise<void> {
    const orgId = org.orgId;
    await this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      const [rows] = await db.query<[{ id: string }[], number]>(
        `DELETE FROM teams WHERE id = $1 AND org_id = $2 RETURNING id`,
        [teamId, orgId],
      );
      one(rows, 'team');
      await deleteScopeGrants(db, orgId, 'team', [teamId]);
      await this.audit.record(db, org.actor, orgId, 'tenancy.team_deleted', { team_id: teamId });
    });
    await this.memberships.invalidate(orgId);
  }
}

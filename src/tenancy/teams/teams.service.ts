import { Injectable } from '@nestjs/common';
import { TenantDb } from '../../database/tenant-db';
import { MembershipCache } from '../memberships/membership-cache';
import { type Page, type PageQuery, pageSql, toPage } from '../pagination';
import { deleteScopeMemberships, one } from '../tenancy-rows';

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

  create(orgId: string, name: string): Promise<TeamView> {
    return this.tenantDb.run({ kind: 'org', orgId }, async (db) =>
      one(
        await db.query<TeamView[]>(`INSERT INTO teams (org_id, name) VALUES ($1, $2) RETURNING ${COLUMNS}`, [
          orgId,
          name,
        ]),
        'team',
      ),
    );
  }

  rename(orgId: string, teamId: string, name: string): Promise<TeamView> {
    return this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      const [rows] = await db.query<[TeamView[], number]>(
        `UPDATE teams SET name = $3 WHERE id = $1 AND org_id = $2 RETURNING ${COLUMNS}`,
        [teamId, orgId, name],
      );
      return one(rows, 'team');
    });
  }

  /** Its workspaces stay, directly under the organization; memberships on the team go with it. */
  async remove(orgId: string, teamId: string): Promise<void> {
    await this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      const [rows] = await db.query<[{ id: string }[], number]>(
        `DELETE FROM teams WHERE id = $1 AND org_id = $2 RETURNING id`,
        [teamId, orgId],
      );
      one(rows, 'team');
      await deleteScopeMemberships(db, orgId, 'team', [teamId]);
    });
    await this.memberships.invalidate(orgId);
  }
}

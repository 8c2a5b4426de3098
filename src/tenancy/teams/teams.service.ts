import { Injectable } from '@nestjs/common';
import { TenantDb } from '../../database/tenant-db';
import { MembershipCache } from '../memberships/membership-cache';
import type { OrgAccess } from '../org-scope/org-access';
import { TenancyAudit } from '../tenancy-audit';
import { type Page, type PageQuery, pageOf } from '../pagination';
import { deleteScopeGrants, notFound } from '../tenancy-rows';
import { type TeamResponse, toTeamResponse } from './teams.dto';
import { Team } from './team.entity';

@Injectable()
export class TeamsService {
  constructor(
    private readonly tenantDb: TenantDb,
    private readonly memberships: MembershipCache,
    private readonly audit: TenancyAudit,
  ) {}

  list(orgId: string, query: PageQuery): Promise<Page<TeamResponse>> {
    return this.tenantDb.run({ kind: 'org', orgId }, (db) =>
      pageOf(
        db.getRepository(Team).createQueryBuilder('team').where('team.orgId = :orgId', { orgId }),
        query,
        toTeamResponse,
      ),
    );
  }

  get(orgId: string, teamId: string): Promise<TeamResponse> {
    return this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      const team = await db.getRepository(Team).findOneBy({ id: teamId, orgId });
      if (!team) throw notFound('team');
      return toTeamResponse(team);
    });
  }

  create(org: OrgAccess, name: string): Promise<TeamResponse> {
    const orgId = org.orgId;
    return this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      const teams = db.getRepository(Team);
      const team = teams.create({ orgId, name });
      await teams.insert(team); // fills in id and created_at
      await this.audit.record(db, org.actor, orgId, 'tenancy.team_created', { team_id: team.id, name });
      return toTeamResponse(team);
    });
  }

  rename(org: OrgAccess, teamId: string, name: string): Promise<TeamResponse> {
    const orgId = org.orgId;
    return this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      const teams = db.getRepository(Team);
      const { affected } = await teams.update({ id: teamId, orgId }, { name });
      const team = affected ? await teams.findOneBy({ id: teamId, orgId }) : null;
      if (!team) throw notFound('team');
      await this.audit.record(db, org.actor, orgId, 'tenancy.team_renamed', { team_id: teamId, name });
      return toTeamResponse(team);
    });
  }

  /** Its workspaces stay, directly under the organization; memberships on the team go with it. */
  async remove(org: OrgAccess, teamId: string): Promise<void> {
    const orgId = org.orgId;
    await this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      const { affected } = await db.getRepository(Team).delete({ id: teamId, orgId });
      if (!affected) throw notFound('team');
      await deleteScopeGrants(db, orgId, 'team', [teamId]);
      await this.audit.record(db, org.actor, orgId, 'tenancy.team_deleted', { team_id: teamId });
    });
    await this.memberships.invalidate(orgId);
  }
}

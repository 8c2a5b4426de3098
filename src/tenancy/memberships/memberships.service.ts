import { Injectable } from '@nestjs/common';
import { TenantDb } from '../../database/tenant-db';
import { userIdOf } from '../tenancy-rows';
import type { MembershipSource, Role, ScopeKind } from './membership.entity';

export interface MembershipView {
  org_id: string;
  scope_kind: ScopeKind;
  scope_id: string;
  role: Role;
  source: MembershipSource;
}

@Injectable()
export class MembershipsService {
  constructor(private readonly tenantDb: TenantDb) {}

  /**
   * Every membership of the user with this IdP subject, organization first, then narrower scopes. Runs
   * in the user's own scope: row-level security shows a user their own memberships across organizations.
   */
  async listForSubject(sub: string): Promise<MembershipView[]> {
    const userId = await userIdOf(this.tenantDb, sub);
    if (!userId) return [];
    // Raw SQL: the order is the scope chain's (organization first), which the query builder cannot rank.
    return this.tenantDb.run({ kind: 'user', userId }, (db) =>
      db.query<MembershipView[]>(
        `SELECT org_id, scope_kind, scope_id, role, source FROM memberships
          WHERE user_id = $1
          ORDER BY org_id, array_position(ARRAY['organization','team','workspace','project','lab'], scope_kind), scope_id`,
        [userId],
      ),
    );
  }
}

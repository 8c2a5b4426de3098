import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
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
  constructor(private readonly dataSource: DataSource) {}

  /** Every membership of the user with this IdP subject, organization first, then narrower scopes. */
  async listForSubject(sub: string): Promise<MembershipView[]> {
    return this.dataSource.query<MembershipView[]>(
      `SELECT m.org_id, m.scope_kind, m.scope_id, m.role, m.source
         FROM memberships m JOIN users u ON u.id = m.user_id
        WHERE u.sub = $1
        ORDER BY m.org_id, array_position(ARRAY['organization','team','workspace','project','lab'], m.scope_kind), m.scope_id`,
      [sub],
    );
  }
}

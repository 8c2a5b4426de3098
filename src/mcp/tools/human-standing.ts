import { higher, meets } from '../../tenancy/memberships/roles';
import type { MembershipView } from '../../tenancy/memberships/memberships.service';
import type { Role } from '../../tenancy/memberships/membership.entity';
import { ToolRefusal } from '../mcp-tool';

/**
 * Where the human behind an agent stands, from memberships read from the database at the call (never
 * a cache and never the token): a membership removed mid-session is refused on the next call. The agent
 * can never do more than the human.
 */
export class HumanStanding {
  constructor(private readonly memberships: readonly MembershipView[]) {}

  orgIds(): string[] {
    return [...new Set(this.memberships.map((membership) => membership.org_id))];
  }

  /** Refuses unless the human holds some membership in the organization. */
  requireMember(orgId: string): void {
    if (!this.memberships.some((membership) => membership.org_id === orgId)) throw forbidden();
  }

  /** Refuses unless the human's organization-level role is at least `minimum`. */
  requireOrgRole(orgId: string, minimum: Role): void {
    if (!meets(this.roleOn(orgId, 'organization', orgId), minimum)) throw forbidden();
  }

  /** The human's role on a workspace: the highest of the organization's, its team's and its own. */
  workspaceRole(orgId: string, workspaceId: string, teamId: string | null): Role | null {
    let role = this.roleOn(orgId, 'organization', orgId);
    if (teamId !== null) role = higher(role, this.roleOn(orgId, 'team', teamId));
    return higher(role, this.roleOn(orgId, 'workspace', workspaceId));
  }

  private roleOn(orgId: string, kind: MembershipView['scope_kind'], scopeId: string): Role | null {
    let role: Role | null = null;
    for (const membership of this.memberships) {
      if (membership.org_id === orgId && membership.scope_kind === kind && membership.scope_id === scopeId) {
        role = higher(role, membership.role);
      }
    }
    return role;
  }
}

export function forbidden(): ToolRefusal {
  return new ToolRefusal(
    'org_forbidden',
    'The user this agent acts for may not do this in that organization',
  );
}

import type { MembershipView } from '../../tenancy/memberships/memberships.service';
import { ToolRefusal } from '../mcp-tool';
import { HumanStanding } from './human-standing';

const ORG = 'org-1';
const OTHER = 'org-2';
const membership = (
  scope_kind: MembershipView['scope_kind'],
  scope_id: string,
  role: MembershipView['role'],
) => ({ org_id: ORG, scope_kind, scope_id, role, source: 'manual' }) as MembershipView;

describe(HumanStanding.name, () => {
  it('takes the highest of the organization, team and workspace roles on a workspace', () => {
    const sut = new HumanStanding([
      membership('organization', ORG, 'viewer'),
      membership('team', 'team-1', 'member'),
      membership('workspace', 'ws-1', 'admin'),
    ]);
    expect(sut.workspaceRole(ORG, 'ws-1', 'team-1')).toBe('admin');
    expect(sut.workspaceRole(ORG, 'ws-2', 'team-1')).toBe('member');
    expect(sut.workspaceRole(ORG, 'ws-2', null)).toBe('viewer');
  });

  it('gives no role in an organization the human does not belong to', () => {
    const sut = new HumanStanding([membership('organization', ORG, 'owner')]);
    expect(sut.workspaceRole(OTHER, 'ws-1', null)).toBeNull();
    expect(() => sut.requireMember(OTHER)).toThrow(ToolRefusal);
  });

  it('requires an organization-level role for requireOrgRole, not a narrower one', () => {
    const sut = new HumanStanding([membership('workspace', 'ws-1', 'owner')]);
    expect(() => sut.requireMember(ORG)).not.toThrow();
    expect(() => sut.requireOrgRole(ORG, 'admin')).toThrow(ToolRefusal);
    expect(() =>
      new HumanStanding([membership('organization', ORG, 'admin')]).requireOrgRole(ORG, 'admin'),
    ).not.toThrow();
  });

  it('lists each organization once', () => {
    const sut = new HumanStanding([
      membership('organization', ORG, 'member'),
      membership('team', 't', 'admin'),
    ]);
    expect(sut.orgIds()).toEqual([ORG]);
  });
});

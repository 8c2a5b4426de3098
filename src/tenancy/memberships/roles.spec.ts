import { higher, isRole, meets, ROLES, roleCheck, ROLES_SQL } from './roles';

describe('role lattice', () => {
  it('orders viewer < member < admin < owner', () => {
    expect(ROLES).toEqual(['viewer', 'member', 'admin', 'owner']);
  });

  it('meets a minimum at or below the role, never above it', () => {
    expect(meets('admin', 'member')).toBe(true);
    expect(meets('admin', 'admin')).toBe(true);
    expect(meets('admin', 'owner')).toBe(false);
    expect(meets('viewer', 'member')).toBe(false);
    expect(meets('owner', 'viewer')).toBe(true);
  });

  it('meets nothing without a role', () => {
    expect(meets(null, 'viewer')).toBe(false);
    expect(meets(undefined, 'viewer')).toBe(false);
  });

  it('picks the higher of two roles, whichever side it is on', () => {
    expect(higher('member', 'admin')).toBe('admin');
    expect(higher('owner', 'viewer')).toBe('owner');
    expect(higher('member', 'member')).toBe('member');
    expect(higher(null, 'viewer')).toBe('viewer');
    expect(higher('viewer', null)).toBe('viewer');
    expect(higher(null, null)).toBeNull();
  });

  it('recognises exactly the four roles', () => {
    for (const role of ROLES) expect(isRole(role)).toBe(true);
    for (const value of ['Owner', 'superadmin', '', 'toString', 'constructor', 3, null, undefined, {}]) {
      expect(isRole(value)).toBe(false);
    }
  });

  it('spells the CHECK constraint the migrations created', () => {
    expect(ROLES_SQL).toBe(`'viewer', 'member', 'admin', 'owner'`);
    expect(roleCheck('role')).toBe(`role IN ('viewer', 'member', 'admin', 'owner')`);
  });
});

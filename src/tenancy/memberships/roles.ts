import { ROLES, type Role } from './membership.entity';

const RANK: Readonly<Record<Role, number>> = { viewer: 0, member: 1, admin: 2, owner: 3 };

/** Whether `role` is `minimum` or above it in the lattice `viewer < member < admin < owner`. */
export function meets(role: Role | null | undefined, minimum: Role): boolean {
  return role !== null && role !== undefined && RANK[role] >= RANK[minimum];
}

/** The higher of two roles (a role on a scope applies to everything below it, so the highest counts). */
export function higher(a: Role | null, b: Role | null): Role | null {
  if (a === null) return b;
  if (b === null) return a;
  return RANK[a] >= RANK[b] ? a : b;
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

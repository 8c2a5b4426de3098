/**
 * The role lattice, lowest first: a role on a scope applies to everything below it, and a higher role
 * includes every right of a lower one. The one list the `Role` type, DTO validation, the entities'
 * checks, the migrations' CHECK constraints and the invites' SQL ranking derive from.
 */
export const ROLES = ['viewer', 'member', 'admin', 'owner'] as const;
export type Role = (typeof ROLES)[number];

const RANK = new Map<Role, number>(ROLES.map((role, rank) => [role, rank]));

/** Whether `role` is `minimum` or above it in the lattice `viewer < member < admin < owner`. */
export function meets(role: Role | null | undefined, minimum: Role): boolean {
  return role !== null && role !== undefined && rankOf(role) >= rankOf(minimum);
}

/** The higher of two roles (a role on a scope applies to everything below it, so the highest counts). */
export function higher(a: Role | null, b: Role | null): Role | null {
  if (a === null) return b;
  if (b === null) return a;
  return rankOf(a) >= rankOf(b) ? a : b;
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && RANK.has(value as Role);
}

function rankOf(role: Role): number {
  return RANK.get(role) ?? -1;
}

/** `'viewer', 'member', 'admin', 'owner'`: the lattice as an SQL list, for `IN (…)` and `ARRAY[…]`. */
export const ROLES_SQL = ROLES.map((role) => `'${role}'`).join(', ');

/** The CHECK expression of a role column (`role IN ('viewer', …)`), as entities and migrations spell it. */
export const roleCheck = (column: string): string => `${column} IN (${ROLES_SQL})`;

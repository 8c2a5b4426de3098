import { applyDecorators, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AlwaysStrict } from '../../identity/authentication/route-access.decorators';
import { RequireScope } from '../../identity/scope/require-scope.decorator';
import type { Role } from '../memberships/membership.entity';
import type { OrgScopedRequest } from './org-access';

export interface OrgScopeOptions {
  /** The lowest organization-level role that may call the route; without it any membership will do. */
  readonly minRole?: Role;
  /** The route parameter naming the organization (default `orgId`). */
  readonly param?: string;
}

export const OrgScopeRequirement = Reflector.createDecorator<OrgScopeOptions>();

/**
 * The route acts inside one organization and the caller must belong to it. The organization comes from
 * the route parameter, else the `X-AlphaSwarm-Org` header, else the token's org claim; a named
 * organization that disagrees with the claim is refused (`org_mismatch`), and so is a caller with no
 * live membership or a role below `minRole` (`org_forbidden`). `admin:cluster` passes. Org-scoped
 * routes never serve anonymous callers. Checked by OrgScopedGuard.
 * @example `@OrgScoped({ minRole: 'admin' }) @Post(':orgId/teams') create(@CurrentOrg() org: OrgAccess) {…}`
 */
export const OrgScoped = (options: OrgScopeOptions = {}): MethodDecorator & ClassDecorator =>
  applyDecorators(OrgScopeRequirement(options), AlwaysStrict());

/**
 * A tenancy mutation: `admin:tenant` in the token **and** an organization-level `admin` role (or the
 * role given), checked live. Reads need only `@OrgScoped()`.
 * @example `@OrgAdmin() @Post(':orgId/teams')`, `@OrgAdmin({ minRole: 'owner' }) @Put(':orgId/strategy')`
 */
export const OrgAdmin = (options: OrgScopeOptions = {}): MethodDecorator & ClassDecorator =>
  applyDecorators(RequireScope('admin:tenant'), OrgScoped({ minRole: 'admin', ...options }));

/** The organization an `@OrgScoped` route acts in, and the caller's standing there. */
export const CurrentOrg = createParamDecorator((_data: unknown, context: ExecutionContext) => {
  const access = context.switchToHttp().getRequest<OrgScopedRequest>().orgAccess;
  // Only reachable on a route without @OrgScoped: a programming error, answered as a 500.
  if (!access) throw new Error('@CurrentOrg() used on a route without @OrgScoped()');
  return access;
});

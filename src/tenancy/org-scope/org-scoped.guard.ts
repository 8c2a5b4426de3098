import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthError } from '../../identity/errors/auth-error';
import { RequestError } from '../../common/errors/request-error';
import { isUuid } from '../../common/uuid';
import type { Principal } from '../../identity/principal';
import { principalOf, requestOf } from '../../identity/request-context';
import { HandlerMetadata } from '../../identity/route-metadata';
import { MembershipCache, type OrgStanding } from '../memberships/membership-cache';
import { meets, type Role } from '../memberships/roles';
import { actorOf } from './change-actor';
import type { ChangeActor, OrgAccess, OrgScopedRequest } from './org-access';
import { type OrgScopeOptions, OrgScopeRequirement } from './org-scoped.decorator';

export const ORG_HEADER = 'x-alphaswarm-org';

/**
 * Checks `@OrgScoped`: the last global guard (authenticate → scope → step-up → org). A warm check is
 * synchronous — the membership comes from MembershipCache — so org scoping costs about what a scope
 * check costs; a cold one reads the database once.
 */
@Injectable()
export class OrgScopedGuard implements CanActivate {
  private readonly requirement: HandlerMetadata<OrgScopeOptions | undefined>;

  constructor(
    reflector: Reflector,
    private readonly memberships: MembershipCache,
  ) {
    this.requirement = new HandlerMetadata((targets) =>
      reflector.getAllAndOverride(OrgScopeRequirement, targets),
    );
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const options = this.requirement.of(context);
    if (!options) return true;
    const request: OrgScopedRequest = requestOf(context);
    const principal = principalOf(context);
    // Agents act for a user but never administer tenancy; the MCP routes decide for themselves.
    if (principal.actorType === 'agent') throw new AuthError('agent_not_allowed');
    if (principal.actorType === 'anonymous') throw new AuthError('missing_token');

    const named = namedOrg(request, options.param ?? 'orgId');
    const claim = principal.orgId;
    // Fast path: everything is a plain id and the standing is cached.
    if (claim === undefined || isUuid(claim)) {
      const orgId = this.agreed(principal, named, claim);
      const standing = isClusterAdmin(principal) ? undefined : this.memberships.peek(principal.sub, orgId);
      if (standing) return this.admit(request, principal, orgId, standing, options);
    }
    return this.slow(request, principal, named, options);
  }

  private async slow(
    request: OrgScopedRequest,
    principal: Principal,
    named: string | undefined,
    options: OrgScopeOptions,
  ): Promise<boolean> {
    let claim = principal.orgId;
    // Auth0 puts its own Organization id (`org_…`) in the token; find the organization bound to it.
    if (claim !== undefined && !isUuid(claim)) {
      claim = (await this.memberships.orgIdOfAuth0Org(claim)) ?? `unbound:${claim}`;
    }
    const orgId = this.agreed(principal, named, claim);
    if (isClusterAdmin(principal)) {
      request.orgAccess = new GrantedOrgAccess(orgId, null, 'owner', true, request, principal);
      return true;
    }
    if (!isUuid(orgId)) throw new AuthError('org_forbidden');
    return this.admit(
      request,
      principal,
      orgId,
      await this.memberships.standing(principal.sub, orgId),
      options,
    );
  }

  /** The organization the request acts in, when the named one and the token's claim agree. */
  private agreed(principal: Principal, named: string | undefined, claim: string | undefined): string {
    if (named !== undefined) {
      if (claim !== undefined && claim.toLowerCase() !== named.toLowerCase() && !isClusterAdmin(principal)) {
        throw new AuthError('org_mismatch');
      }
      return named.toLowerCase();
    }
    if (claim === undefined) throw new AuthError('org_forbidden');
    return claim.toLowerCase();
  }

  private admit(
    request: OrgScopedRequest,
    principal: Principal,
    orgId: string,
    standing: OrgStanding,
    options: OrgScopeOptions,
  ): true {
    if (!standing.member) throw new AuthError('org_forbidden');
    if (options.minRole && !meets(standing.role, options.minRole)) throw new AuthError('org_forbidden');
    request.orgAccess = new GrantedOrgAccess(
      orgId,
      standing.userId,
      standing.role,
      false,
      request,
      principal,
    );
    return true;
  }
}

/** OrgAccess as the guard grants it; who acts is worked out only when a change asks for it. */
class GrantedOrgAccess implements OrgAccess {
  private changeActor?: ChangeActor;

  constructor(
    readonly orgId: string,
    readonly userId: string | null,
    readonly role: Role | null,
    readonly clusterAdmin: boolean,
    private readonly request: OrgScopedRequest,
    private readonly principal: Principal,
  ) {}

  get actor(): ChangeActor {
    this.changeActor ??= actorOf(this.request, this.principal);
    return this.changeActor;
  }

  /** The JSON of an OrgAccess is its public fields, not the request it came from. */
  toJSON(): Omit<OrgAccess, 'actor'> {
    return { orgId: this.orgId, userId: this.userId, role: this.role, clusterAdmin: this.clusterAdmin };
  }
}

function isClusterAdmin(principal: Principal): boolean {
  return principal.permissions.has('admin:cluster');
}

/** The organization the route parameter or the header names (they must agree), validated as an id. */
function namedOrg(request: OrgScopedRequest, param: string): string | undefined {
  const fromRoute = (request.params as Record<string, string | undefined> | undefined)?.[param];
  const header = request.headers[ORG_HEADER];
  if (Array.isArray(header))
    throw new RequestError('invalid_request', 400, `one ${ORG_HEADER} header at most`);
  for (const value of [fromRoute, header]) {
    if (value !== undefined && !isUuid(value)) {
      throw new RequestError('invalid_request', 400, 'the organization id must be a UUID');
    }
  }
  if (fromRoute !== undefined && header !== undefined && fromRoute.toLowerCase() !== header.toLowerCase()) {
    throw new AuthError('org_mismatch');
  }
  return fromRoute ?? header;
}

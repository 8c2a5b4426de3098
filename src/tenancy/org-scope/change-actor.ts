import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Principal } from '../../identity/principal';
import { type AuthenticatedRequest, principalOf, routeTemplateOf } from '../../identity/request-context';
import type { ChangeActor } from './org-access';

export function actorOf(request: AuthenticatedRequest, principal: Principal): ChangeActor {
  return {
    // An agent acts for a person: the change is on that person's authority (agents are refused here today).
    sub: principal.actor?.onBehalfOfSub ?? principal.sub,
    requestId: String(request.id),
    ip: request.ip,
    route: routeTemplateOf(request),
  };
}

/**
 * The caller of a tenancy change on a route that is not `@OrgScoped` (creating an organization,
 * accepting an invite); org-scoped routes find it on `@CurrentOrg()`.
 */
export const CurrentActor = createParamDecorator((_data: unknown, context: ExecutionContext): ChangeActor =>
  actorOf(context.switchToHttp().getRequest<AuthenticatedRequest>(), principalOf(context)),
);

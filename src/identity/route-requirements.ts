import { ROUTE_ACCESS } from './authentication/route-access.decorators';
import { RequiredScopes } from './scope/require-scope.decorator';
import { StepUpRequirement } from './step-up/step-up.decorator';
import { OrgScopeRequirement } from '../tenancy/org-scope/org-scoped.decorator';

/**
 * Every decorator that states what a route requires of its caller. A route must carry at least one of
 * these or `@Public()`, never both (the route inventory test enforces it).
 */
export const ROUTE_REQUIREMENTS = [
  { name: 'authenticated', key: ROUTE_ACCESS.AuthenticatedRoute, merge: false },
  { name: 'scope', key: RequiredScopes, merge: true },
  { name: 'step-up', key: StepUpRequirement, merge: false },
  { name: 'org', key: OrgScopeRequirement, merge: false },
] as const;

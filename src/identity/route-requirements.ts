import { ROUTE_ACCESS } from './authentication/route-access.decorators';
import { RequiredScopes } from './scope/require-scope.decorator';

/**
 * Every decorator that states what a route requires of its caller. A route must carry at least one of
 * these or `@Public()`, never both (the route inventory test enforces it). Step-up and org scoping join
 * this list when they land.
 */
export const ROUTE_REQUIREMENTS = [
  { name: 'authenticated', key: ROUTE_ACCESS.AuthenticatedRoute, merge: false },
  { name: 'scope', key: RequiredScopes, merge: true },
] as const;

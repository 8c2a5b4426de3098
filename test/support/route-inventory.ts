import type { INestApplicationContext } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { RequestMethod } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { ROUTE_ACCESS } from '../../src/identity/authentication/route-access.decorators';
import { DpopRequirement } from '../../src/identity/dpop/require-dpop.decorator';
import { M2mOnlyRequirement } from '../../src/identity/m2m/m2m-only.decorator';
import { RequiredScopes } from '../../src/identity/scope/require-scope.decorator';
import { StepUpRequirement } from '../../src/identity/step-up/step-up.decorator';
import { OrgScopeRequirement } from '../../src/tenancy/org-scope/org-scoped.decorator';

/**
 * Every decorator that states what a route requires of its caller. A route must carry at least one of
 * these or `@Public()`, never both (the route inventory test enforces it). A new requirement decorator
 * belongs here, whichever module declares it.
 */
const ROUTE_REQUIREMENTS = [
  { name: 'authenticated', key: ROUTE_ACCESS.AuthenticatedRoute, merge: false },
  { name: 'm2m-only', key: M2mOnlyRequirement, merge: false },
  { name: 'dpop', key: DpopRequirement, merge: false },
  { name: 'scope', key: RequiredScopes, merge: true },
  { name: 'step-up', key: StepUpRequirement, merge: false },
  { name: 'org', key: OrgScopeRequirement, merge: false },
] as const;

export interface RouteEntry {
  route: string;
  handler: string;
  public: boolean;
  /** `authenticated`, or `scope:<a> <b>` … */
  requirements: string[];
}

/** Every HTTP handler of the application, read through Nest's discovery, with its access metadata. */
export function listRoutes(app: INestApplicationContext): RouteEntry[] {
  const discovery = app.get(DiscoveryService);
  const scanner = app.get(MetadataScanner);
  const reflector = app.get(Reflector);
  const routes: RouteEntry[] = [];
  for (const wrapper of discovery.getControllers()) {
    const type = wrapper.metatype as (new () => unknown) | null;
    if (!type) continue;
    const prefix = String(Reflect.getMetadata(PATH_METADATA, type) ?? '');
    for (const name of scanner.getAllMethodNames(type.prototype)) {
      const handler = (type.prototype as Record<string, unknown>)[name] as () => unknown;
      const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
      if (path === undefined) continue;
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
      const targets = [handler, type];
      const requirements: string[] = [];
      for (const requirement of ROUTE_REQUIREMENTS) {
        if (requirement.merge) {
          const values = reflector.getAllAndMerge(requirement.key, targets);
          if (values.length > 0) requirements.push(`${requirement.name}:${values.join(' ')}`);
        } else if (reflector.getAllAndOverride(requirement.key, targets)) {
          requirements.push(requirement.name);
        }
      }
      const full = `/${[prefix, path].filter((part) => part && part !== '/').join('/')}`.replace(/\/+/g, '/');
      routes.push({
        route: `${method} ${full}`,
        handler: `${type.name}.${name}`,
        public: reflector.getAllAndOverride(ROUTE_ACCESS.PublicRoute, targets) === true,
        requirements,
      });
    }
  }
  return routes.sort((a, b) => a.route.localeCompare(b.route));
}

/** Routes that forgot to say who may call them, or that say two contradictory things. */
export function accessViolations(routes: RouteEntry[]): string[] {
  return routes.flatMap((route) => {
    if (route.public && route.requirements.length > 0) {
      return [
        `${route.route} (${route.handler}) is @Public() and also requires ${route.requirements.join(', ')}`,
      ];
    }
    if (!route.public && route.requirements.length === 0) {
      return [`${route.route} (${route.handler}) has neither @Public() nor a requirement decorator`];
    }
    return [];
  });
}

import type { FastifyRequest } from 'fastify';

/**
 * The route template (`/tenancy/orgs/:orgId`), never the raw path: metric labels, log fields and audit
 * rows stay bounded. A request that matched no route (a 404) is `unmatched`.
 */
export function routeTemplateOf(request: FastifyRequest): string {
  return request.routeOptions?.url ?? 'unmatched';
}

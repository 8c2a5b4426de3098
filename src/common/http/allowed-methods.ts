import FindMyWay from 'find-my-way';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** The methods an `Allow` header may name, in the order it names them. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
type Method = (typeof METHODS)[number];

const ROUTES_OF = Symbol('routes by method');

interface WithRoutes {
  [ROUTES_OF]?: FindMyWay.Instance<FindMyWay.HTTPVersion.V1>;
}

/**
 * Records every route the app registers, by method, so that a request for a path served only under other
 * methods can be answered 405 with `Allow` (RFC 9110 §15.5.6) instead of 404. A router of our own, not
 * Fastify's: Fastify's answers a bad percent-escape or an over-long parameter with a handler of its own,
 * which would read as a route. Call before the routes are registered (before `listen`).
 */
export function recordRouteMethods(fastify: FastifyInstance, maxParamLength: number): void {
  const routes = FindMyWay<FindMyWay.HTTPVersion.V1>({ maxParamLength });
  const noop = (): void => undefined;
  fastify.decorate(ROUTES_OF, routes);
  fastify.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (!isListed(method) || routes.hasRoute(method, route.url)) continue;
      routes.on(method, route.url, noop);
    }
  });
}

/**
 * The methods the request's path is served under, for a request that matched no route; empty when no
 * method serves the path (a 404). Only ever asked on the way to a 404, never on a served request.
 */
export function allowedMethodsOf(request: FastifyRequest): Method[] {
  const routes = (request.server as WithRoutes)[ROUTES_OF];
  if (routes === undefined || !request.is404) return [];
  return METHODS.filter((method) => routes.find(method, request.url) !== null);
}

function isListed(method: string): method is Method {
  return (METHODS as readonly string[]).includes(method);
}

import { Reflector } from '@nestjs/core';

const PublicRoute = Reflector.createDecorator<boolean>();
const AuthenticatedRoute = Reflector.createDecorator<boolean>();
const AlwaysStrictRoute = Reflector.createDecorator<boolean>();
const AgentsAllowedRoute = Reflector.createDecorator<boolean>();

/**
 * The only way a route skips authentication. It cannot be combined with a requirement decorator
 * (the route inventory test fails on that), so "public" never quietly means "public, but scoped".
 * @example `@Public() @Get('healthz') liveness() {…}`
 */
export const Public = (): MethodDecorator & ClassDecorator => PublicRoute(true);

/**
 * The route needs a valid token and nothing more (no particular permission).
 * @example `@Authenticated() @Get('whoami') whoami() {…}`
 */
export const Authenticated = (): MethodDecorator & ClassDecorator => AuthenticatedRoute(true);

/**
 * The route never serves anonymous callers, even under ALPHASWARM_AUTH_ENFORCE=permissive. Mutations,
 * `/_internal/*`, `/mcp/*` and step-up routes are always strict without it; use it for other reads
 * that must not leak during a rollout.
 */
export const AlwaysStrict = (): MethodDecorator & ClassDecorator => AlwaysStrictRoute(true);

/**
 * Delegated agent tokens (an `act` claim naming an `agent|…`) are refused with 403 `agent_not_allowed`
 * everywhere except on routes carrying this decorator (the MCP servers).
 */
export const AllowAgents = (): MethodDecorator & ClassDecorator => AgentsAllowedRoute(true);

export const ROUTE_ACCESS = {
  PublicRoute,
  AuthenticatedRoute,
  AlwaysStrictRoute,
  AgentsAllowedRoute,
} as const;

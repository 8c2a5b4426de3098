import type { ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Principal } from './principal';
import { AuthError } from './errors/auth-error';

// Shared with logging, which sits below identity; re-exported so identity's callers keep one import.
export { routeTemplateOf } from '../common/http/route-template';

/** What authentication leaves on the request. One field, not six. */
export interface AuthenticatedRequest extends FastifyRequest {
  /** Declared on every request up front (`decorateRequest`), so requests keep one shape. */
  principal?: Principal | null;
  /** Whether this request's authorization decision was counted (see AuthDecisions). */
  authzCounted?: boolean;
}

export function requestOf(context: ExecutionContext): AuthenticatedRequest {
  // The request is the first handler argument of an HTTP context; `switchToHttp()` would assign three
  // fresh closures onto the context on every call, and the guards ask for the request on every request.
  return context.getArgByIndex<AuthenticatedRequest>(0);
}

/** The principal of an authenticated request; throws `missing_token` if authentication did not run. */
export function principalOf(context: ExecutionContext): Principal {
  const principal = requestOf(context).principal;
  if (!principal) throw new AuthError('missing_token');
  return principal;
}

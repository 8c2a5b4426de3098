import { type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard, type IAuthModuleOptions } from '@nestjs/passport';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { AuthDecisions } from '../decisions/auth-decisions';
import { AuthError } from '../errors/auth-error';
import { readBearer } from '../jwt/bearer';
import { JWT_STRATEGY, reasonOfJwtFailure } from '../jwt/jwt.strategy';
import { ANONYMOUS, type Principal } from '../principal';
import { type AuthenticatedRequest, requestOf, routeTemplateOf } from '../request-context';
import { ROUTE_ACCESS } from './route-access.decorators';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const ALWAYS_STRICT_PREFIXES = ['/_internal', '/mcp'];

/**
 * The first global guard: every route that is not `@Public()` needs a valid token. Sets the one frozen
 * principal on the request. Under permissive mode a request *without* credentials is served as the
 * anonymous principal (counted as a would-be deny) unless the route is always strict; a request *with*
 * credentials is always fully checked.
 */
@Injectable()
export class AuthenticationGuard extends AuthGuard(JWT_STRATEGY) {
  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly decisions: AuthDecisions,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride(ROUTE_ACCESS.PublicRoute, targets)) return true;

    const request = requestOf(context);
    const token = readBearer(request.headers.authorization);
    if (token === null) {
      if (this.config.auth.enforce === 'permissive' && !this.isAlwaysStrict(context, request)) {
        request.principal = ANONYMOUS;
        this.decisions.wouldDeny(request, 'missing_token');
        return true;
      }
      throw new AuthError('missing_token');
    }

    request.bearerToken = token;
    try {
      await super.canActivate(context);
    } finally {
      request.bearerToken = undefined;
    }
    const principal = request.principal as Principal;
    if (
      principal.actorType === 'agent' &&
      !this.reflector.getAllAndOverride(ROUTE_ACCESS.AgentsAllowedRoute, targets)
    ) {
      throw new AuthError('agent_not_allowed');
    }
    return true;
  }

  override getAuthenticateOptions(): IAuthModuleOptions {
    return { session: false, property: 'principal' };
  }

  override handleRequest<TUser = Principal>(error: unknown, principal: unknown, info: unknown): TUser {
    if (error instanceof AuthError) throw error;
    // Anything else thrown while verifying is our fault, not the caller's: let the filter log it as a 500.
    if (error) throw error instanceof Error ? error : new Error('authentication failed unexpectedly');
    if (!principal) throw reasonOfJwtFailure(info);
    return principal as TUser;
  }

  /** Mutations, `/_internal/*`, `/mcp/*` and `@AlwaysStrict()` routes never serve anonymous callers. */
  private isAlwaysStrict(context: ExecutionContext, request: AuthenticatedRequest): boolean {
    if (!SAFE_METHODS.has(request.method)) return true;
    const route = routeTemplateOf(request);
    if (ALWAYS_STRICT_PREFIXES.some((prefix) => route === prefix || route.startsWith(`${prefix}/`)))
      return true;
    return (
      this.reflector.getAllAndOverride(ROUTE_ACCESS.AlwaysStrictRoute, [
        context.getHandler(),
        context.getClass(),
      ]) === true
    );
  }
}

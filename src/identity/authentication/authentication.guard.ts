import { type CanActivate, type ExecutionContext, Inject, Injectable, Optional } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { NO_REVOCATIONS, TOKEN_REVOCATIONS, type TokenRevocations } from '../cache/token-revocations';
import { VerifiedTokenCache } from '../cache/verified-token-cache';
import { AuthDecisions } from '../decisions/auth-decisions';
import { AuthError } from '../errors/auth-error';
import { DpopProofs } from '../dpop/dpop-proofs';
import { readDpopToken } from '../dpop/dpop-scheme';
import { bearerCandidate, readBearer, readBearerForInspection } from '../jwt/bearer';
import { JwtStrategy, reasonOfJwtFailure, type TokenCarrier } from '../jwt/jwt.strategy';
import { ANONYMOUS, type Principal } from '../principal';
import { type AuthenticatedRequest, requestOf, routeTemplateOf } from '../request-context';
import { StepUpRequirement } from '../step-up/step-up.decorator';
import { HandlerMetadata } from '../route-metadata';
import { M2mOnlyRequirement } from '../m2m/m2m-only.decorator';
import { credentialCount } from './credential-count';
import { ROUTE_ACCESS } from './route-access.decorators';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const ALWAYS_STRICT_PREFIXES = ['/_internal', '/mcp'];

/** What a route's access decorators say, read once per handler. */
interface RouteAccess {
  readonly public: boolean;
  readonly agentsAllowed: boolean;
  readonly m2mOnly: boolean;
  /** `@AlwaysStrict()`, `@StepUp` or `@M2mOnly` (the method and path rules are checked per request). */
  readonly strict: boolean;
}

/**
 * The first global guard: every route that is not `@Public()` needs a valid token. Sets the one frozen
 * principal on the request. Under permissive mode a request *without* credentials is served as the
 * anonymous principal (counted as a would-be deny) unless the route is always strict; a request *with*
 * credentials is always fully checked.
 */
@Injectable()
export class AuthenticationGuard implements CanActivate {
  private readonly access: HandlerMetadata<RouteAccess>;
  private readonly dpopEnabled: boolean;
  /** ALPHASWARM_AUTH0_DPOP_REQUIRED: no request is served on a plain bearer token. */
  private readonly dpopRequired: boolean;
  private readonly revocations: TokenRevocations;

  constructor(
    reflector: Reflector,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly decisions: AuthDecisions,
    private readonly verified: VerifiedTokenCache,
    private readonly strategy: JwtStrategy,
    private readonly dpop: DpopProofs,
    @Optional() @Inject(TOKEN_REVOCATIONS) revocations?: TokenRevocations,
  ) {
    this.dpopEnabled = config.auth.dpop.enabled;
    this.dpopRequired = config.auth.dpop.required;
    this.revocations = revocations ?? NO_REVOCATIONS;
    this.access = new HandlerMetadata((targets) => {
      const m2mOnly = reflector.getAllAndOverride(M2mOnlyRequirement, targets) !== undefined;
      return {
        public: reflector.getAllAndOverride(ROUTE_ACCESS.PublicRoute, targets) === true,
        agentsAllowed: reflector.getAllAndOverride(ROUTE_ACCESS.AgentsAllowedRoute, targets) === true,
        m2mOnly,
        strict:
          m2mOnly ||
          reflector.getAllAndOverride(ROUTE_ACCESS.AlwaysStrictRoute, targets) === true ||
          reflector.getAllAndOverride(StepUpRequirement, targets) !== undefined,
      };
    });
  }

  /** Synchronous on a cache hit: the common case costs no promise. */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const access = this.access.of(context);
    if (access.public) return true;

    const request = requestOf(context);
    const presentedCount = credentialCount(request);
    // Two credentials could name two callers; which one a proxy or a library would pick is a guess.
    if (presentedCount > 1) throw new AuthError('malformed_token', {}, 400);
    const header = request.headers.authorization;
    // The common case first: a token verified before. Only tokens that passed `readBearer` and full
    // validation are ever remembered, so a hit needs no character check of its own.
    const candidate = bearerCandidate(header);
    const connection = request.raw.socket;
    const cached = candidate === undefined ? undefined : this.verified.find(candidate, connection);
    if (cached) return this.admitBearer(request, cached, access);

    if (this.dpopEnabled) {
      const dpopToken = readDpopToken(header);
      if (dpopToken !== undefined) return this.authenticateDpop(context, request, dpopToken, access);
    }
    // Not checked character by character here: `inspect`, the verifier's first step, is stricter.
    const presented = readBearerForInspection(header);
    if (presented.scheme !== 'bearer') {
      // Only a request that presents nothing at all may be served anonymously: credentials of another
      // scheme, or a token in the query, are refused, never ignored.
      if (
        presentedCount === 0 &&
        this.config.auth.enforce === 'permissive' &&
        !isAlwaysStrict(access, request)
      ) {
        request.principal = ANONYMOUS;
        this.decisions.wouldDeny(request, 'missing_token');
        return true;
      }
      throw new AuthError('missing_token');
    }
    // Refused before any verification: no bearer token can pass, valid or not. `readBearer` first, so
    // a header that is not one token at all is still called malformed.
    if (this.dpopRequired) {
      readBearer(header);
      throw new AuthError('dpop_required');
    }
    return this.verifyAndRemember(presented.token, connection, access).then((principal) =>
      this.admitBearer(request, principal, access),
    );
  }

  /**
   * A plain bearer request. A DPoP-bound token sent this way is refused (RFC 9449 §7.2): its binding
   * would be worthless if the token alone were enough — and so is every bearer token when DPoP is
   * required. (Bound tokens are refused even with DPoP off: a resource server never downgrades them.)
   */
  private admitBearer(request: AuthenticatedRequest, principal: Principal, access: RouteAccess): true {
    if (principal.dpopJkt !== undefined || this.dpopRequired) throw new AuthError('dpop_required');
    return this.admit(request, principal, access);
  }

  /**
   * `Authorization: DPoP <token>`: the token as for Bearer (the verified-token cache may answer for it),
   * then the proof, in full, on every request — a cache hit never skips the proof or its replay check.
   */
  private async authenticateDpop(
    context: ExecutionContext,
    request: AuthenticatedRequest,
    token: string,
    access: RouteAccess,
  ): Promise<boolean> {
    const connection = request.raw.socket;
    const principal =
      this.verified.find(token, connection) ?? (await this.verifyAndRemember(token, connection, access));
    await this.dpop.checkBound(request, context.getArgByIndex(1), token, principal.dpopJkt);
    return this.admit(request, principal, access);
  }

  private verifyAndRemember(token: string, connection: object, access: RouteAccess): Promise<Principal> {
    const epoch = this.verified.epoch;
    return this.verify(token).then(
      (principal) => {
        this.verified.remember(token, principal, connection, epoch);
        return principal;
      },
      (error: unknown) => {
        // A token that claims to be a client (`<id>@clients`) without being one is, to an M2M-only
        // route, simply not an M2M token: say so, as for any other token of the wrong kind.
        if (access.m2mOnly && error instanceof AuthError && error.reason === 'invalid_actor') {
          throw new AuthError('not_m2m');
        }
        throw error;
      },
    );
  }

  private admit(request: AuthenticatedRequest, principal: Principal, access: RouteAccess): true {
    request.principal = principal;
    // Asked on every request, hit or miss: a revocation takes effect at once, not at cache expiry.
    if (this.revocations.isRevoked(principal)) throw new AuthError('token_revoked');
    if (principal.actorType === 'agent' && !access.agentsAllowed) throw new AuthError('agent_not_allowed');
    return true;
  }

  /**
   * Runs this app's passport-jwt strategy on the token, as passport's `authenticate` middleware would
   * for a single strategy without sessions: a per-request delegate of the strategy, given the actions a
   * passport strategy reports through (`success`, `fail`, `error`; passport-strategy's contract), then
   * `authenticate`. passport's middleware adds only what an Express app needs around that (`req.login`
   * and its kin, failure redirects and flashes, a chain of strategies), and its delegate of a delegate
   * made a new prototype object per token, which V8 handles slowly: together about a third of a
   * never-seen token's own work (docs/benchmark.md). The app's own instance, not passport's global
   * registry by name: two app instances in one process (tests) would otherwise verify against each
   * other's issuer.
   */
  private verify(token: string): Promise<Principal> {
    const carrier: TokenCarrier = { bearerToken: token };
    return new Promise<Principal>((resolve, reject) => {
      // A delegate per request: the actions are this request's, so sharing the instance would cross requests.
      const attempt = Object.create(this.strategy) as JwtStrategy & StrategyActions;
      attempt.success = (principal: unknown) => settle(resolve, reject, null, principal, undefined);
      attempt.fail = (info: unknown) => settle(resolve, reject, null, false, info);
      attempt.error = (error: unknown) => settle(resolve, reject, error, false, undefined);
      attempt.authenticate(carrier as never, {});
    });
  }
}

/** What passport-strategy's `authenticate` reports through: `this.success`, `this.fail`, `this.error`. */
interface StrategyActions {
  success(principal: unknown, info?: unknown): void;
  fail(info?: unknown, status?: number): void;
  error(error: unknown): void;
}

function settle(
  resolve: (principal: Principal) => void,
  reject: (error: Error) => void,
  error: unknown,
  principal: unknown,
  info: unknown,
): void {
  try {
    resolve(outcomeOf(error, principal, info));
  } catch (failure) {
    reject(asError(failure));
  }
}

/** Mutations, `/_internal/*`, `/mcp/*`, `@StepUp` and `@AlwaysStrict()` routes never serve anonymous callers. */
function isAlwaysStrict(access: RouteAccess, request: AuthenticatedRequest): boolean {
  if (!SAFE_METHODS.has(request.method) || access.strict) return true;
  const route = routeTemplateOf(request);
  return ALWAYS_STRICT_PREFIXES.some((prefix) => route === prefix || route.startsWith(`${prefix}/`));
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error('authentication failed unexpectedly');
}

/** The principal, or the AuthError that says why there is none. */
function outcomeOf(error: unknown, principal: unknown, info: unknown): Principal {
  if (error instanceof AuthError) throw error;
  // Anything else thrown while verifying is our fault, not the caller's: the filter logs it as a 500.
  if (error) throw asError(error);
  if (!principal) throw reasonOfJwtFailure(info);
  return principal as Principal;
}

import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  Optional,
} from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { EdgeConfig } from '../config/edge-config';
import { AuthError } from '../identity/errors/auth-error';
import { bearerCandidate, readBearer } from '../identity/jwt/bearer';
import { createTokenVerifier, type TokenVerifier } from '../identity/jwt/token-verifier';
import {
  NO_REVOCATIONS,
  TOKEN_REVOCATIONS,
  type TokenRevocations,
} from '../identity/cache/token-revocations';
import { ConnectionTokenMemos } from '../identity/cache/connection-token-memos';
import type { Principal } from '../identity/principal';
import { CbaVerifier } from './cba/cba-verifier';
import { CellsRegistry } from './cells/cells-registry';
import type { EdgeRequest } from './check-request';
import { EDGE_CONFIG } from './edge-config.token';
import {
  type EdgeAllowReason,
  type EdgeDenyReason,
  type EdgeReason,
  edgeReasonDescription,
  edgeReasonStatus,
} from './edge-reasons';

/** Every header the edge sets upstream starts with this; every client-sent one is removed or overwritten. */
export const IDENTITY_HEADER_PREFIX = 'x-alphaswarm-';
export const CBA_HEADER = 'cell-bound-authorization';
/** Every identity header the edge may set upstream. */
export const IDENTITY_HEADERS = [
  'x-alphaswarm-auth',
  'x-alphaswarm-cell',
  'x-alphaswarm-sub',
  'x-alphaswarm-tenant',
  'x-alphaswarm-workspace',
  'x-alphaswarm-tier',
] as const;
/** A header value the edge may set: visible ASCII and spaces, nothing that could split a header. */
const HEADER_VALUE = /^[\x20-\x7e]{1,1024}$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

const VERIFIED_CACHE_MAX = 10_000;

export interface EdgeAllow {
  readonly allowed: true;
  readonly reason: EdgeAllowReason;
  /** Headers to set upstream, overwriting whatever the client sent under these names. */
  readonly set: readonly (readonly [string, string])[];
  /** Client-sent identity headers (lower case) that are not overwritten: Envoy must remove them. */
  readonly remove: readonly string[];
  readonly principal?: Principal;
  /** CBA problems seen under CBA_MODE=monitor (logged and counted, not enforced). */
  readonly cbaWouldDeny?: EdgeReason;
}

export interface EdgeDeny {
  readonly allowed: false;
  readonly reason: EdgeDenyReason;
  readonly status: 400 | 401 | 403 | 503;
  readonly description: string;
  /** RFC 6750 challenge for 400/401/403; none for 503. */
  readonly challenge?: string;
  readonly principal?: Principal;
}

export type EdgeDecision = EdgeAllow | EdgeDeny;

/**
 * The one decision of the edge check, shared by the JSON form, Envoy's HTTP service mode and gRPC
 * (docs/edge.md). It verifies the bearer token with identity's token rules against the tenant router's
 * own issuer, places the caller on a cell of its tier, checks a cross-cell CBA when one is presented, and
 * says which identity headers to set and which client-sent ones to strip. It never throws: an internal
 * failure is a deny (`edge_unavailable`), never an allow.
 */
@Injectable()
export class EdgeAuthorizer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly verifier?: TokenVerifier;
  /** Tokens verified before, with their principal: a hit costs a map lookup and an expiry check. */
  private readonly verified = new LRUCache<string, Principal>({ max: VERIFIED_CACHE_MAX });
  /**
   * Per connection, the last token verified on it. Envoy keeps its connections to the check open and
   * sends a client's token again and again; comparing it with the connection's last one costs a few
   * nanoseconds, where the LRU hashes the whole (~1 KB, newly parsed) string on each lookup: ~1.2 µs.
   */
  private readonly lastOnConnection = new ConnectionTokenMemos();
  /** Bumped when the key set changes: every connection's memo lapses with the LRU's entries. */
  private generation = 0;

  constructor(
    @Inject(APP_CONFIG) appConfig: AppConfig,
    @Inject(EDGE_CONFIG) private readonly config: EdgeConfig,
    private readonly cells: CellsRegistry,
    private readonly cba: CbaVerifier,
    // Bound by AppModule to the revocation registry, as for the API's guard; unbound, nothing is revoked.
    @Optional() @Inject(TOKEN_REVOCATIONS) private readonly revocations: TokenRevocations = NO_REVOCATIONS,
  ) {
    const { issuer, audience, jwksUri, algorithms } = config;
    if (issuer !== undefined && audience !== undefined && jwksUri !== undefined) {
      this.verifier = createTokenVerifier(appConfig, { issuer, audience, jwksUri, algorithms });
      // A key removed from the JWKS must stop verifying at once, not when a cached token expires.
      this.verifier.keys.onKeySetChange(() => {
        this.generation += 1;
        this.verified.clear();
      });
    }
  }

  get mode(): EdgeConfig['mode'] {
    return this.config.mode;
  }

  /** The key store of the edge's issuer (for /readyz); undefined in `disabled` mode. */
  get keys(): TokenVerifier['keys'] | undefined {
    return this.verifier?.keys;
  }

  onApplicationBootstrap(): void {
    this.verifier?.keys.startWarming();
  }

  onApplicationShutdown(): void {
    this.verifier?.keys.onApplicationShutdown();
  }

  /**
   * `connection`: what the check came over (an HTTP socket), when it has one, for the token memo.
   * Synchronous when the token was verified before and no CBA is presented, as the API's guard is on a
   * cache hit: the common check then costs no promise and no turn of the microtask queue.
   */
  decide(request: EdgeRequest, connection?: object): EdgeDecision | Promise<EdgeDecision> {
    try {
      const decision = this.decideOrThrow(request, connection);
      return decision instanceof Promise ? decision.catch(denyOf) : decision;
    } catch (error) {
      return denyOf(error);
    }
  }

  private decideOrThrow(
    request: EdgeRequest,
    connection: object | undefined,
  ): EdgeDecision | Promise<EdgeDecision> {
    const { authorization, cba, spoofed } = readHeaders(request.headers);
    if (authorization.length > 1) {
      // Two credentials could name two callers; which one a cell would read is a guess.
      return tokenDeny(new AuthError('malformed_token', {}, 400));
    }
    if (this.config.mode === 'disabled') {
      return this.route('auth_disabled', undefined, spoofed, cba);
    }
    // The common case first: a token verified before. Only tokens that passed `readBearer` and full
    // validation are remembered, so a hit needs no character check of its own (as in the API's guard).
    const candidate = bearerCandidate(authorization[0]);
    const remembered = candidate === undefined ? undefined : this.remembered(candidate, connection);
    if (remembered !== undefined) return this.route('verified', this.unrevoked(remembered), spoofed, cba);

    const presented = readBearer(authorization[0]);
    if (presented.scheme !== 'bearer') {
      // Only a request that presents nothing may pass anonymously: another scheme is refused, not ignored.
      if (presented.scheme === 'none' && this.config.mode === 'permissive') {
        return this.route('anonymous', undefined, spoofed, cba);
      }
      throw new AuthError('missing_token');
    }
    return this.verify(presented.token, connection).then((principal) =>
      this.route('verified', this.unrevoked(principal), spoofed, cba),
    );
  }

  /**
   * The principal of a token verified before and not yet expired: the connection's last token first (a
   * string comparison), then the LRU (which hashes the token). Noted on the connection when found in
   * the LRU, so its next check is the comparison.
   */
  private remembered(token: string, connection: object | undefined): Principal | undefined {
    const onConnection =
      connection === undefined ? undefined : this.lastOnConnection.find(connection, token, this.generation);
    const principal = onConnection ?? this.verified.get(token);
    if (principal === undefined || (principal.expiresAt ?? 0) <= Date.now() / 1000) return undefined;
    if (connection !== undefined && onConnection === undefined) {
      this.lastOnConnection.note(connection, token, principal, this.generation);
    }
    return principal;
  }

  /** Full verification; the result is remembered unless the key set changed meanwhile. */
  private async verify(token: string, connection: object | undefined): Promise<Principal> {
    const generation = this.generation;
    const principal = await (this.verifier as TokenVerifier).verify(token);
    // A key set that changed during the verification may have dropped the key it used: not kept.
    if (generation === this.generation) {
      this.verified.set(token, principal);
      if (connection !== undefined) this.lastOnConnection.note(connection, token, principal, this.generation);
    }
    return principal;
  }

  /**
   * The principal, unless its user's tokens were revoked since it was issued (a logout, a password
   * change, a block: docs/revocation.md). Asked on every check, remembered or not, as the API's guard
   * asks it: a cell behind the edge must not serve a token the API itself refuses.
   */
  private unrevoked(principal: Principal): Principal {
    if (this.revocations.isRevoked(principal)) throw new AuthError('token_revoked');
    return principal;
  }

  /** Places the caller on a cell; synchronous unless a CBA is presented (its keys may need a fetch). */
  private route(
    reason: EdgeAllowReason,
    principal: Principal | undefined,
    spoofed: readonly string[],
    cba: readonly string[],
  ): EdgeDecision | Promise<EdgeDecision> {
    const tier = principal?.tier ?? this.config.cells.defaultTier;
    const tenant = principal?.tenantId ?? principal?.orgId ?? principal?.sub ?? 'anonymous';
    const cell = this.cells.cellFor(tenant, tier);
    if (cell === undefined) return edgeDeny('no_cell_available', principal);
    if (cba.length === 0) return allow(reason, principal, spoofed, cell.id);
    return this.cba.check(cba, cell.id).then((problem) => {
      if (problem === undefined) return allow(reason, principal, spoofed, cell.id);
      if (this.config.cba.mode === 'enforce') return edgeDeny(problem, principal);
      return allow(reason, principal, spoofed, cell.id, problem);
    });
  }
}

/** The allow: identity headers to set, and the client-sent ones not overwritten, to remove. */
function allow(
  reason: EdgeAllowReason,
  principal: Principal | undefined,
  spoofed: readonly string[],
  cellId: string,
  cbaWouldDeny?: EdgeReason,
): EdgeDecision {
  const set: [string, string][] = [
    ['x-alphaswarm-auth', reason === 'auth_disabled' ? 'disabled' : reason],
    ['x-alphaswarm-cell', cellId],
  ];
  if (principal) {
    set.push(['x-alphaswarm-sub', principal.sub]);
    if (principal.tenantId !== undefined) set.push(['x-alphaswarm-tenant', principal.tenantId]);
    if (principal.workspaceId !== undefined) set.push(['x-alphaswarm-workspace', principal.workspaceId]);
    if (principal.tier !== undefined) set.push(['x-alphaswarm-tier', principal.tier]);
  }
  // A value that cannot travel as a header (a control character in a signed claim) is refused, not cut.
  if (!set.every(([, value]) => HEADER_VALUE.test(value))) {
    return tokenDeny(new AuthError('malformed_token'), principal);
  }
  const remove =
    spoofed.length === 0 ? [] : spoofed.filter((name) => !set.some(([setName]) => setName === name));
  return { allowed: true, reason, set, remove, principal, cbaWouldDeny };
}

/** A failure inside the decision: a token's own reason, else `edge_unavailable`; never an allow. */
function denyOf(error: unknown): EdgeDeny {
  return error instanceof AuthError ? tokenDeny(error) : edgeDeny('edge_unavailable');
}

/**
 * The headers the decision reads, found in any case: `authorization` and `cell-bound-authorization`
 * values (every occurrence, so a repeat is seen), and every client-sent `x-alphaswarm-*` name in lower
 * case, once each (stray whitespace around a name is ignored; a name no proxy could forward is skipped).
 */
function readHeaders(headers: EdgeRequest['headers']): {
  authorization: string[];
  cba: string[];
  spoofed: string[];
} {
  const authorization: string[] = [];
  const cba: string[] = [];
  const spoofed = new Set<string>();
  for (const [rawName, value] of headers) {
    const name = rawName.trim().toLowerCase();
    if (name === 'authorization') authorization.push(value);
    else if (name === CBA_HEADER) cba.push(value);
    else if (name.startsWith(IDENTITY_HEADER_PREFIX) && HEADER_NAME.test(name)) spoofed.add(name);
  }
  return { authorization, cba, spoofed: [...spoofed] };
}

function tokenDeny(error: AuthError, principal?: Principal): EdgeDeny {
  const status = error.status;
  const challenge =
    error.reason === 'missing_token'
      ? 'Bearer'
      : status === 400
        ? `Bearer error="invalid_request", error_description="${error.message}"`
        : `Bearer error="invalid_token", error_description="${error.message}"`;
  return { allowed: false, reason: error.reason, status, description: error.message, challenge, principal };
}

function edgeDeny(reason: EdgeReason, principal?: Principal): EdgeDeny {
  const status = edgeReasonStatus(reason);
  const description = edgeReasonDescription(reason);
  const challenge =
    status === 503
      ? undefined
      : `Bearer error="${status === 400 ? 'invalid_request' : 'invalid_token'}", error_description="${description}"`;
  return { allowed: false, reason, status, description, challenge, principal };
}

/** The deny of a check request that could not be read. */
export function invalidCheckRequest(): EdgeDeny {
  return edgeDeny('invalid_check_request');
}

/** The deny of a check that failed inside the edge: Envoy must see a refusal, never an allow. */
export function edgeUnavailable(): EdgeDeny {
  return edgeDeny('edge_unavailable');
}

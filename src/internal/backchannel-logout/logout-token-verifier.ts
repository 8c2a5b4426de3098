import { Inject, Injectable } from '@nestjs/common';
import { decodeProtectedHeader, type JWTPayload, jwtVerify } from 'jose';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { JwksKeyStore } from '../../identity/jwt/jwks-key-store';

/** The `events` member that makes a JWT a back-channel logout token (OIDC Back-Channel Logout 1.0 §2.4). */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** A logout token issued longer ago than this (or later than the clock skew) is stale. */
export const LOGOUT_TOKEN_MAX_AGE_SECONDS = 120;
/** `typ` values a logout token may carry (§2.4 recommends `logout+jwt`; older OPs send `JWT` or none). */
const LOGOUT_TYPES = new Set(['logout+jwt', 'application/logout+jwt', 'jwt']);

/** Why a logout token was refused. Fixed phrases: a response never echoes the token. */
export class LogoutTokenError extends Error {
  constructor(readonly problem: string) {
    super(problem);
    this.name = 'LogoutTokenError';
  }
}

/** What a valid logout token says. */
export interface LogoutClaims {
  readonly sub: string;
  readonly sid?: string;
  readonly jti: string;
  /** Seconds since the epoch. */
  readonly iat: number;
  /** Until when its `jti` must be remembered (it could be accepted until then). */
  readonly rememberUntil: Date;
}

/**
 * Validates a logout token as OIDC Back-Channel Logout 1.0 §2.6 requires, with jose and the issuer's
 * key store (the same keys, cache and rotation rules as access tokens): signature by the configured
 * issuer with an accepted algorithm, `iss`, `aud` naming a configured client, `iat` fresh and `exp`
 * not past, a `jti`, the back-channel `events` member, a `sub` (and/or `sid`), and no `nonce`.
 * Replay (`jti` seen before) is the caller's check, because it needs the database.
 */
@Injectable()
export class LogoutTokenVerifier {
  private readonly issuers: string[];
  private readonly audiences: string[];
  private readonly algorithms: string[];
  private readonly skewSeconds: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly keys: JwksKeyStore,
  ) {
    const issuer = config.auth.issuer;
    const other = issuer.endsWith('/') ? issuer.slice(0, -1) : `${issuer}/`;
    this.issuers = [issuer, other];
    this.audiences = [...config.backchannelLogout.clientIds];
    this.algorithms = [...config.auth.algorithms];
    this.skewSeconds = config.auth.clockSkewSeconds;
  }

  async verify(token: string): Promise<LogoutClaims> {
    if (this.audiences.length === 0) throw new LogoutTokenError('back-channel logout is not configured');
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new LogoutTokenError('the logout token is not a JWT');
    }
    if (typeof header.alg !== 'string' || !this.algorithms.includes(header.alg)) {
      throw new LogoutTokenError('the logout token is signed with an algorithm this service does not accept');
    }
    const typ: unknown = header.typ;
    if (typ !== undefined && (typeof typ !== 'string' || !LOGOUT_TYPES.has(typ.toLowerCase()))) {
      throw new LogoutTokenError('the logout token has the type of another kind of token');
    }
    let candidates: readonly CryptoKeyLike[];
    try {
      candidates = await this.keys.keysFor(header.kid, header.alg);
    } catch {
      throw new LogoutTokenError('no key of the issuer matches the logout token');
    }
    const payload = await this.verifiedPayload(token, candidates);
    return this.claimsOf(payload);
  }

  /** The payload, once one of the kid's keys verifies the signature and the registered claims hold. */
  private async verifiedPayload(token: string, candidates: readonly CryptoKeyLike[]): Promise<JWTPayload> {
    let problem = 'the logout token signature does not verify';
    for (const key of candidates) {
      try {
        const { payload } = await jwtVerify(token, key, {
          issuer: this.issuers,
          audience: this.audiences,
          algorithms: this.algorithms,
          clockTolerance: this.skewSeconds,
          maxTokenAge: LOGOUT_TOKEN_MAX_AGE_SECONDS,
          requiredClaims: ['iat', 'exp', 'jti'],
        });
        return payload;
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') continue;
        problem = problemOf(code, (error as { claim?: unknown }).claim);
        break;
      }
    }
    throw new LogoutTokenError(problem);
  }

  private claimsOf(payload: JWTPayload): LogoutClaims {
    const events = payload.events;
    if (!isObject(events) || !isObject(events[BACKCHANNEL_LOGOUT_EVENT])) {
      throw new LogoutTokenError('the logout token lacks the back-channel logout event');
    }
    if (Object.hasOwn(payload, 'nonce')) throw new LogoutTokenError('a logout token must not carry a nonce');
    const { sub, sid, jti, iat, exp } = payload;
    if (sub !== undefined && (typeof sub !== 'string' || sub === '')) {
      throw new LogoutTokenError('the logout token has an invalid sub');
    }
    if (sid !== undefined && (typeof sid !== 'string' || sid === '')) {
      throw new LogoutTokenError('the logout token has an invalid sid');
    }
    if (sub === undefined && sid === undefined)
      throw new LogoutTokenError('the logout token names no sub or sid');
    // Access tokens carry no session id, so a session is revoked through its user: sid alone names nobody.
    if (sub === undefined) throw new LogoutTokenError('logout by sid alone is not supported; include sub');
    if (typeof jti !== 'string' || jti === '' || jti.length > 256) {
      throw new LogoutTokenError('the logout token has an invalid jti');
    }
    const issuedAt = iat as number;
    const rememberUntil = Math.max(exp as number, issuedAt + LOGOUT_TOKEN_MAX_AGE_SECONDS) + this.skewSeconds;
    return {
      sub,
      sid: sid,
      jti,
      iat: issuedAt,
      rememberUntil: new Date(rememberUntil * 1000),
    };
  }
}

type CryptoKeyLike = Awaited<ReturnType<JwksKeyStore['keysFor']>>[number];

function problemOf(code: unknown, claim: unknown): string {
  // jose reports a token older than maxTokenAge as expired, naming `iat`.
  if (code === 'ERR_JWT_EXPIRED')
    return claim === 'iat' ? 'the logout token is not fresh' : 'the logout token has expired';
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
    if (claim === 'iss') return 'the logout token was not issued by the trusted issuer';
    if (claim === 'aud') return 'the logout token is not addressed to this client';
    if (claim === 'iat') return 'the logout token is not fresh';
    return `the logout token lacks a valid ${typeof claim === 'string' && /^[a-z]{2,4}$/.test(claim) ? claim : 'claim'}`;
  }
  if (code === 'ERR_JOSE_ALG_NOT_ALLOWED') {
    return 'the logout token is signed with an algorithm this service does not accept';
  }
  return 'the logout token is not a valid JWT';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

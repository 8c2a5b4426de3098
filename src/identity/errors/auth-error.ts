import type { AuthReason, OAuthReason } from './reason-codes';

/** Reasons answered with 403: the caller is known, but may not do this. Every other reason is a 401. */
const FORBIDDEN: ReadonlySet<AuthReason> = new Set([
  'insufficient_scope',
  'org_forbidden',
  'org_mismatch',
  'not_m2m',
  'agent_not_allowed',
]);

/** Fixed descriptions: a response never echoes token contents or library messages. */
const DESCRIPTIONS: Record<AuthReason, string> = {
  missing_token: 'No bearer token was sent',
  malformed_token: 'The bearer token is not a well-formed JWT access token',
  invalid_signature: 'The token signature does not verify',
  expired_token: 'The token has expired',
  not_yet_valid: 'The token is not valid yet',
  wrong_audience: 'The token was not issued for this API',
  wrong_issuer: 'The token was not issued by the trusted issuer',
  no_matching_key: 'No key of the issuer matches the token',
  forbidden_algorithm: 'The token is signed with an algorithm this API does not accept',
  jwks_unreachable: "The issuer's signing keys could not be fetched",
  token_revoked: 'The token has been revoked',
  invalid_actor: 'The token names an actor this API does not accept',
  insufficient_scope: 'The token lacks a required permission',
  insufficient_user_authentication: 'A more recent multi-factor authentication is required',
  org_forbidden: 'The caller is not a member of this organization',
  org_mismatch: "The requested organization differs from the token's organization",
  not_m2m: 'This route accepts machine-to-machine tokens only',
  agent_not_allowed: 'Delegated agent tokens are not accepted on this route',
  dpop_required: 'This token must be presented with a DPoP proof',
  invalid_dpop_proof: 'The DPoP proof is invalid',
  dpop_replay: 'The DPoP proof was already used',
  invalid_webhook_secret: "The webhook's shared secret does not match",
};

/**
 * An authentication or authorization refusal. Guards throw it (never `return false`, which loses the
 * reason); `ApiExceptionFilter` alone turns it into the RFC 6750 response.
 */
export class AuthError extends Error {
  constructor(
    readonly reason: AuthReason,
    /** Extra `WWW-Authenticate` attributes, e.g. `{ scope: 'admin:tenant' }`. */
    readonly challenge: Readonly<Record<string, string>> = {},
    /**
     * Overrides the reason's usual status: a step-up refusal is 403 for callers that can never step up;
     * a request that is ambiguous about its credentials is 400 (RFC 6750 §3.1 `invalid_request`).
     */
    private readonly statusOverride?: 400 | 401 | 403,
  ) {
    super(DESCRIPTIONS[reason]);
    this.name = 'AuthError';
  }

  get status(): 400 | 401 | 403 {
    return this.statusOverride ?? (FORBIDDEN.has(this.reason) ? 403 : 401);
  }
}

/** An RFC 6749 token-endpoint error (`{ error, error_description }`, 400 or 401). */
export class OAuthError extends Error {
  constructor(
    /** RFC 6749 §5.2 codes, and RFC 9449 §5 `invalid_dpop_proof` for a bad proof at the token endpoint. */
    readonly error: OAuthReason | 'invalid_request' | 'invalid_dpop_proof',
    description: string,
  ) {
    super(description);
    this.name = 'OAuthError';
  }

  get status(): 400 | 401 {
    return this.error === 'invalid_client' ? 401 : 400;
  }
}

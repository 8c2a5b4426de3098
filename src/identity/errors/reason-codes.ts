import {
  CREDENTIAL_REASONS,
  type CredentialReason,
  REQUEST_REASONS,
  type RequestReason,
  TENANCY_REASONS,
  type TenancyReason,
} from '../../common/errors/request-reasons';

/**
 * The closed list of reasons a request can be refused for. Stable: they appear in response bodies,
 * in the `reason` label of `alphaswarm_authz_decisions_total`, in logs and in the audit ledger.
 */
export const AUTH_REASONS = [
  'missing_token',
  'malformed_token',
  'invalid_signature',
  'expired_token',
  'not_yet_valid',
  'wrong_audience',
  'wrong_issuer',
  'no_matching_key',
  'forbidden_algorithm',
  'jwks_unreachable',
  'token_revoked',
  'invalid_actor',
  'insufficient_scope',
  'insufficient_user_authentication',
  'org_forbidden',
  'org_mismatch',
  'not_m2m',
  'agent_not_allowed',
  'dpop_required',
  'invalid_dpop_proof',
  'dpop_replay',
  'invalid_webhook_secret',
  // Delegated agent tokens and MCP (docs/agents-and-mcp.md).
  'delegation_required',
  'user_token_required',
] as const;
export type AuthReason = (typeof AUTH_REASONS)[number];

/** RFC 6749 §5.2 token-endpoint errors; `reason` equals `error` there. */
export const OAUTH_REASONS = [
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  // RFC 8693 §2.2.2: the requested resource or audience is not one this issuer serves.
  'invalid_target',
] as const;
export type OAuthReason = (typeof OAUTH_REASONS)[number];

export type ReasonCode = AuthReason | RequestReason | TenancyReason | OAuthReason | CredentialReason;
export const REASON_CODES: readonly ReasonCode[] = [
  ...AUTH_REASONS,
  ...REQUEST_REASONS,
  ...TENANCY_REASONS,
  ...OAUTH_REASONS,
  ...CREDENTIAL_REASONS,
];

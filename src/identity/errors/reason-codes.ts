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
] as const;
export type AuthReason = (typeof AUTH_REASONS)[number];

/** Reasons for refusing a request that never reached an authorization decision. */
export const REQUEST_REASONS = [
  'invalid_request',
  'malformed_body',
  'payload_too_large',
  'unsupported_media_type',
  'not_found',
  'method_not_allowed',
  'not_acceptable',
  'service_unavailable',
  'server_error',
  'conflict',
] as const;
export type RequestReason = (typeof REQUEST_REASONS)[number];

/** Reasons a tenancy request is refused after authorization passed (the request itself is wrong). */
export const TENANCY_REASONS = [
  'last_owner',
  'invite_invalid',
  'invite_expired',
  'invite_used',
  'invite_revoked',
  'invite_email_mismatch',
] as const;
export type TenancyReason = (typeof TENANCY_REASONS)[number];

/** RFC 6749 §5.2 token-endpoint errors; `reason` equals `error` there. */
export const OAUTH_REASONS = [
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
] as const;
export type OAuthReason = (typeof OAUTH_REASONS)[number];

export type ReasonCode = AuthReason | RequestReason | TenancyReason | OAuthReason;
export const REASON_CODES: readonly ReasonCode[] = [
  ...AUTH_REASONS,
  ...REQUEST_REASONS,
  ...TENANCY_REASONS,
  ...OAUTH_REASONS,
];

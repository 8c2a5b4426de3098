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
  'origin_forbidden',
  'upstream_error',
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
  'invite_requires_user',
] as const;
export type TenancyReason = (typeof TENANCY_REASONS)[number];

/** Reasons a credentials request is refused after authorization passed (docs/credentials.md). */
export const CREDENTIAL_REASONS = [
  'rate_limited',
  'credential_unreadable',
  'oauth_state_invalid',
  'oauth_provider_error',
] as const;
export type CredentialReason = (typeof CREDENTIAL_REASONS)[number];

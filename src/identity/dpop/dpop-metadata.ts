import type { AppConfig } from '../../config/app-config';

/**
 * The DPoP members of RFC 9728 protected-resource metadata: the proof algorithms accepted (none while
 * DPoP is off) and whether every token must be DPoP-bound. `/auth/config` publishes them, and so will
 * the MCP servers' `/.well-known/oauth-protected-resource/…` documents, from this one place.
 */
export function dpopResourceMetadata(config: AppConfig): {
  dpop_signing_alg_values_supported: readonly string[];
  dpop_bound_access_tokens_required: boolean;
} {
  const { dpop } = config.auth;
  return {
    dpop_signing_alg_values_supported: dpop.enabled ? dpop.algorithms : [],
    dpop_bound_access_tokens_required: dpop.enabled && dpop.required,
  };
}

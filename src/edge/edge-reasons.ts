import type { AuthReason } from '../identity/errors/reason-codes';

/**
 * Reasons only the edge check refuses for (ADR 0013): routing and cross-cell binding are not token
 * validation, so they are a closed union of their own beside identity's `AuthReason`, documented in
 * docs/errors.md under "Edge reason codes".
 */
export const EDGE_REASONS = [
  /** The check request itself is unusable: not an object, no HTTP attributes, headers not a map. */
  'invalid_check_request',
  /** No active cell serves the caller's tier (an explicit tier is never downgraded). */
  'no_cell_available',
  /** A `Cell-Bound-Authorization` header that is not one well-formed JWT. */
  'cba_malformed',
  /** The CBA's signature does not verify with its source cell's published keys. */
  'cba_invalid_signature',
  /** The CBA has expired (or is not valid yet). */
  'cba_expired',
  /** The CBA is addressed to another cell. */
  'cba_wrong_destination',
  /** The CBA names a source cell the registry does not know, or one that publishes no keys. */
  'cba_unknown_source_cell',
  /** The edge failed inside (never an allow): Envoy sees 503 / gRPC UNAVAILABLE. */
  'edge_unavailable',
] as const;
export type EdgeReason = (typeof EDGE_REASONS)[number];

/** Why the edge refused: a token reason from identity, or one of its own. */
export type EdgeDenyReason = AuthReason | EdgeReason;

/** Why the edge let a request through. */
export type EdgeAllowReason = 'verified' | 'anonymous' | 'auth_disabled';

const STATUS: Record<EdgeReason, 400 | 403 | 503> = {
  invalid_check_request: 400,
  no_cell_available: 503,
  cba_malformed: 403,
  cba_invalid_signature: 403,
  cba_expired: 403,
  cba_wrong_destination: 403,
  cba_unknown_source_cell: 403,
  edge_unavailable: 503,
};

const DESCRIPTIONS: Record<EdgeReason, string> = {
  invalid_check_request: 'The authorization check request is not usable',
  no_cell_available: 'No active cell serves this tier',
  cba_malformed: 'The Cell-Bound-Authorization token is malformed',
  cba_invalid_signature: "The Cell-Bound-Authorization token does not verify with its source cell's keys",
  cba_expired: 'The Cell-Bound-Authorization token has expired or is not valid yet',
  cba_wrong_destination: 'The Cell-Bound-Authorization token is addressed to another cell',
  cba_unknown_source_cell: 'The Cell-Bound-Authorization token names an unknown source cell',
  edge_unavailable: 'The edge authorization check is unavailable',
};

export function edgeReasonStatus(reason: EdgeReason): 400 | 403 | 503 {
  return STATUS[reason];
}

export function edgeReasonDescription(reason: EdgeReason): string {
  return DESCRIPTIONS[reason];
}

export function isEdgeReason(reason: string): reason is EdgeReason {
  return (EDGE_REASONS as readonly string[]).includes(reason);
}

/** How an audited action ended. A closed list: readers filter on it. */
export const AUDIT_OUTCOMES = ['success', 'failure', 'deny', 'would_deny'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** `snake_case` words, optionally joined by `.` or `:` (e.g. `authz_decision`, `tenancy.member_removed`). */
export const EVENT_TYPE = /^[a-z][a-z0-9_]*(?:[.:][a-z0-9_]+)*$/;
export const EVENT_TYPE_MAX = 64;

/**
 * One event to append to the ledger. Only `eventType` and `outcome` are required; whatever is unknown
 * stays null. Strings are stored as given, except that NUL characters and unpaired surrogates (which
 * Postgres text and jsonb cannot hold) become U+FFFD, and over-long values are cut at the limits below.
 */
export interface AuditEventInput {
  /** What happened, e.g. `tenancy.member_removed`. See `EVENT_TYPE`; at most 64 characters. */
  readonly eventType: string;
  readonly outcome: AuditOutcome;
  /** The organization whose chain (and readers) the event belongs to; null for events of no organization. */
  readonly orgId?: string | null;
  /** The IdP subject (`sub`) on whose authority the action ran: the caller, or the human behind an agent. */
  readonly userId?: string | null;
  /** The subject that actually acted when it differs from `userId` (the agent of a delegated token). */
  readonly actorUserId?: string | null;
  /** A reason code (docs/errors.md) or another short machine-readable reason. */
  readonly reason?: string | null;
  /** The route template (`/tenancy/orgs/:orgId/members`), never a raw path. */
  readonly route?: string | null;
  readonly ip?: string | null;
  readonly requestId?: string | null;
  /** Anything else, as JSON (at most 16 KiB once serialised). Never secrets or tokens. */
  readonly details?: Readonly<Record<string, unknown>>;
  /** When it happened; defaults to the ledger clock's now. */
  readonly occurredAt?: Date;
}

/** A stored row, as the read API and the verifier see it (`seq` is a bigint: a decimal string). */
export interface AuditEventRow {
  readonly id: string;
  readonly seq: string;
  readonly created_at: string;
  readonly org_id: string | null;
  readonly user_id: string | null;
  readonly actor_user_id: string | null;
  readonly event_type: string;
  readonly outcome: AuditOutcome;
  readonly reason: string | null;
  readonly route: string | null;
  readonly ip: string | null;
  readonly request_id: string | null;
  readonly details: Record<string, unknown>;
  readonly prev_hash: string;
  readonly hash: string;
}

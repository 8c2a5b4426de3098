import { hash, randomUUID } from 'node:crypto';
import { isUuid } from '../../common/uuid';
import { configure } from 'safe-stable-stringify';
import { microsecondTimestampSql } from '../../common/database/timestamp-sql';
import {
  AUDIT_OUTCOMES,
  type AuditEventInput,
  type AuditEventRow,
  EVENT_TYPE,
  EVENT_TYPE_MAX,
} from './audit-event';

/** `prev_hash` of the first row of a chain. */
export const GENESIS_HASH = '0'.repeat(64);
/** The chain of events without an organization (the migration keys it the same way). */
export const NO_ORG_CHAIN = '00000000-0000-0000-0000-000000000000';
/** Serialised `details` above this size are refused: the ledger is not a blob store. */
export const DETAILS_MAX_BYTES = 16 * 1024;

const LIMITS = { userId: 256, actorUserId: 256, reason: 128, route: 512, ip: 64, requestId: 128 } as const;

/** A programming error in what a caller asked the ledger to write (never caused by a client's input). */
export class AuditInputError extends Error {
  constructor(message: string) {
    super(`audit event refused: ${message}`);
    this.name = 'AuditInputError';
  }
}

export const chainOf = (orgId: string | null): string => orgId ?? NO_ORG_CHAIN;

/**
 * A timestamp as the ledger stores and hashes it: UTC with microseconds, exactly what
 * `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')` reads back, so an edit of
 * even one microsecond changes the hash.
 */
export function timestampOf(date: Date): string {
  return `${date.toISOString().slice(0, 23)}000Z`;
}
export const TIMESTAMP_SQL = microsecondTimestampSql('created_at');

/** An event ready to be chained: every field as it will be stored. */
export type PreparedEvent = Omit<AuditEventRow, 'seq' | 'prev_hash' | 'hash'>;

/**
 * RFC 8785 (JCS) canonical JSON of the values a row holds: strings, null, finite numbers, and objects and
 * arrays of them. For those, safe-stable-stringify with sorted keys writes exactly what JCS specifies:
 * members sorted by UTF-16 code units, strings escaped as by JSON.stringify, numbers as ECMAScript
 * prints them (ADR 0017; `test/audit/canonical-json.spec.ts` holds it to the reference implementation).
 * Anything else (a function, NaN, a cycle) throws rather than hashing something JCS does not define.
 */
export const canonicalJson = configure({
  deterministic: true,
  strict: true,
  bigint: false,
  circularValue: Error,
});

/**
 * The hash of one row: SHA-256 over the RFC 8785 (JCS) canonical JSON of every stored column and the
 * previous row's hash. Changing any column, reordering rows or moving a row to another chain (its
 * `org_id` is covered) changes it. `v` names this encoding, so a later one can coexist.
 */
export function hashOf(row: Omit<AuditEventRow, 'hash'>): string {
  const canonical = canonicalJson({
    v: 1,
    id: row.id,
    seq: row.seq,
    created_at: row.created_at,
    org_id: row.org_id,
    user_id: row.user_id,
    actor_user_id: row.actor_user_id,
    event_type: row.event_type,
    outcome: row.outcome,
    reason: row.reason,
    route: row.route,
    ip: row.ip,
    request_id: row.request_id,
    details: row.details,
    prev_hash: row.prev_hash,
  });
  return hash('sha256', canonical as string, 'hex');
}

/** Validates and normalises an input into the exact values that will be stored and hashed. */
export function prepare(input: AuditEventInput, now: Date): PreparedEvent {
  const { eventType, outcome } = input;
  if (typeof eventType !== 'string' || eventType.length > EVENT_TYPE_MAX || !EVENT_TYPE.test(eventType)) {
    throw new AuditInputError(`eventType must match ${String(EVENT_TYPE)} (at most ${EVENT_TYPE_MAX} chars)`);
  }
  if (!(AUDIT_OUTCOMES as readonly string[]).includes(outcome)) {
    throw new AuditInputError(`outcome must be one of ${AUDIT_OUTCOMES.join(', ')}`);
  }
  const at = input.occurredAt ?? now;
  if (!(at instanceof Date) || Number.isNaN(at.getTime()))
    throw new AuditInputError('occurredAt is not a date');
  return {
    id: randomUUID(),
    created_at: timestampOf(at),
    org_id: orgIdOf(input.orgId),
    user_id: text(input.userId, LIMITS.userId),
    actor_user_id: text(input.actorUserId, LIMITS.actorUserId),
    event_type: eventType,
    outcome,
    reason: text(input.reason, LIMITS.reason),
    route: text(input.route, LIMITS.route),
    ip: text(input.ip, LIMITS.ip),
    request_id: text(input.requestId, LIMITS.requestId),
    details: detailsOf(input.details),
  };
}

function orgIdOf(orgId: string | null | undefined): string | null {
  if (orgId === undefined || orgId === null) return null;
  if (typeof orgId !== 'string' || !isUuid(orgId) || orgId === NO_ORG_CHAIN) {
    throw new AuditInputError('orgId must be an organization UUID or null');
  }
  return orgId.toLowerCase();
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// eslint-disable-next-line no-control-regex
const NUL = /\u0000/g;
/** The escapes JSON.stringify writes for a NUL or a lone surrogate (a false alarm only costs the slow path). */
const UNSTORABLE_ESCAPE = /\\u0000|\\ud[89a-f]/i;

/** What Postgres text and jsonb can hold: no NUL, no unpaired surrogate (both become U+FFFD). */
function storable(value: string): string {
  return value.replace(LONE_SURROGATE, '\uFFFD').replace(NUL, '\uFFFD');
}

function text(value: string | null | undefined, max: number): string | null {
  if (value === undefined || value === null) return null;
  return storable(String(value).slice(0, max));
}

/** A JSON copy (no undefined, no functions, no cycles) with storable strings, as canonical as jsonb keeps it. */
function detailsOf(details: Readonly<Record<string, unknown>> | undefined): Record<string, unknown> {
  if (details === undefined) return {};
  if (typeof details !== 'object' || details === null || Array.isArray(details)) {
    throw new AuditInputError('details must be a JSON object');
  }
  let json: string;
  try {
    json = JSON.stringify(details);
  } catch {
    throw new AuditInputError('details must be serialisable as JSON');
  }
  if (Buffer.byteLength(json) > DETAILS_MAX_BYTES) {
    throw new AuditInputError(`details must stay under ${DETAILS_MAX_BYTES} bytes of JSON`);
  }
  // JSON.stringify writes a NUL and a lone surrogate only as the escapes \u0000 and \ud800-\udfff, in
  // keys and values alike: without one in the text there is nothing to repair (the common case).
  if (!UNSTORABLE_ESCAPE.test(json)) return JSON.parse(json) as Record<string, unknown>;
  json = JSON.stringify(details, (_key, value: unknown) =>
    typeof value === 'string' ? storable(value) : value,
  );
  // Keys are strings too: a reviver rebuilds each object with storable keys.
  return JSON.parse(json, (_key, value: unknown) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [storable(key), inner]));
  }) as Record<string, unknown>;
}

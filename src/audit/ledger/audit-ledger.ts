import { Inject, Injectable, Optional } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Counter } from 'prom-client';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { SYSTEM_SCOPE, TenantDb } from '../../database/tenant-db';
import { MetricsService } from '../../observability/metrics.service';
import { chainOf, GENESIS_HASH, hashOf, prepare, type PreparedEvent } from './audit-chain';
import { AUDIT_CLOCK, type AuditClock, SYSTEM_CLOCK } from './audit-clock';
import type { AuditEventInput, AuditEventRow } from './audit-event';

/** Rows per INSERT statement: bounds the size of one statement's arrays, not their number. */
const INSERT_ROWS = 1000;

const COLUMNS = [
  'id',
  'seq',
  'created_at',
  'org_id',
  'user_id',
  'actor_user_id',
  'event_type',
  'outcome',
  'reason',
  'route',
  'ip',
  'request_id',
  'details',
  'prev_hash',
  'hash',
] as const;

/** Each column's type, for the array that carries it (one parameter per column, whatever the rows). */
const COLUMN_TYPES: Record<(typeof COLUMNS)[number], string> = {
  id: 'uuid',
  seq: 'int8',
  created_at: 'timestamptz',
  org_id: 'uuid',
  user_id: 'text',
  actor_user_id: 'text',
  event_type: 'text',
  outcome: 'text',
  reason: 'text',
  route: 'text',
  ip: 'text',
  request_id: 'text',
  details: 'jsonb',
  prev_hash: 'text',
  hash: 'text',
};

/**
 * The rows of one append as one array per column, unnested into rows: the same short statement for one
 * row or a thousand, where a VALUES list grew by fifteen parameters a row and Postgres parsed and
 * planned it anew for every batch.
 */
const INSERT_ROWS_SQL = `INSERT INTO security_audit_events (${COLUMNS.join(', ')})
  SELECT * FROM unnest(${COLUMNS.map((column, i) => `$${i + 1}::${COLUMN_TYPES[column]}[]`).join(', ')})`;
/** The same, moving the chain head's hash in the same statement (a data-modifying CTE always runs). */
const INSERT_ROWS_AND_HEAD_SQL = `WITH appended AS (${INSERT_ROWS_SQL})
  UPDATE security_audit_chain_heads SET hash = $${COLUMNS.length + 1}, updated_at = now()
   WHERE chain_id = $${COLUMNS.length + 2}`;

/**
 * Moves a chain's head forward by `count` rows and returns the head as it was: the last `seq` and
 * `hash`. The upsert takes the head row's lock, so every writer of one chain waits here until the
 * previous writer's transaction ends: one chain, no forks, whatever the number of instances. A new chain
 * starts at the genesis hash.
 */
const ADVANCE_HEAD = `
  INSERT INTO security_audit_chain_heads AS h (chain_id, org_id, seq, hash)
  VALUES ($1, $2, $3, '${GENESIS_HASH}')
  ON CONFLICT (chain_id) DO UPDATE SET seq = h.seq + $3
  RETURNING seq::text AS seq, hash`;

/**
 * The security audit ledger's writer. Every row joins its organization's hash chain (events without an
 * organization share one chain of their own); see docs/audit-ledger.md.
 *
 * @example Inside a tenancy mutation, so the change never commits without its audit row:
 * ```ts
 * await this.tenantDb.run({ kind: 'org', orgId }, async (manager) => {
 *   await manager.query('DELETE FROM memberships WHERE id = $1', [membershipId]);
 *   await this.ledger.append(manager, {
 *     eventType: 'tenancy.member_removed', outcome: 'success', orgId,
 *     userId: principal.sub, route: '/tenancy/orgs/:orgId/members/:memberId',
 *     requestId: String(request.id), ip: request.ip, details: { member_id: membershipId },
 *   });
 * });
 * ```
 */
@Injectable()
export class AuditLedger {
  readonly enabled: boolean;
  private readonly clock: AuditClock;
  private readonly written: Counter<'source'>;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly tenantDb: TenantDb,
    metrics: MetricsService,
    @Optional() @Inject(AUDIT_CLOCK) clock?: AuditClock,
  ) {
    this.enabled = config.audit.enabled;
    this.clock = clock ?? SYSTEM_CLOCK;
    this.written = metrics.counter(
      'alphaswarm_audit_events_written_total',
      'Audit events written to the ledger, by source (decisions: the buffered authorization decisions; direct: append/record)',
      ['source'],
    );
  }

  /**
   * Appends `event` inside the caller's transaction (the `manager` of a `TenantDb.run`), so it commits or
   * rolls back with the change it records. Holds the organization's chain lock until that transaction
   * ends: keep the transaction short. A no-op when ALPHASWARM_AUTH_AUDIT_ENABLED=false.
   * Throws `AuditInputError` for an invalid event (a bug in the caller) and when `manager` is not in a
   * transaction; the caller's transaction then fails, as it should.
   */
  append(manager: EntityManager, event: AuditEventInput): Promise<void> {
    return this.appendMany(manager, [event]);
  }

  /** Several events in the caller's transaction, in order; one chain lock per organization involved. */
  async appendMany(manager: EntityManager, events: readonly AuditEventInput[]): Promise<void> {
    await this.write(manager, events, 'direct');
  }

  /**
   * Appends `event` in a transaction of its own (scoped to its organization), for events that accompany
   * no other write: a refused request, an export, a sync that changed nothing.
   */
  record(event: AuditEventInput): Promise<void> {
    if (!this.enabled) return Promise.resolve();
    const scope = event.orgId ? ({ kind: 'org', orgId: event.orgId } as const) : SYSTEM_SCOPE;
    return this.tenantDb.run(scope, (manager) => this.write(manager, [event], 'direct'));
  }

  /** A batch of events of any organizations in one system-scoped transaction (the decision buffer). */
  recordBatch(events: readonly AuditEventInput[]): Promise<void> {
    if (!this.enabled || events.length === 0) return Promise.resolve();
    return this.tenantDb.run(SYSTEM_SCOPE, (manager) => this.write(manager, events, 'decisions'));
  }

  private async write(
    manager: EntityManager,
    events: readonly AuditEventInput[],
    source: 'direct' | 'decisions',
  ): Promise<void> {
    if (!this.enabled || events.length === 0) return;
    // Outside a transaction the head's lock would end with the upsert, before the row is written: two
    // writers could then chain onto the same head. Refuse rather than fork the chain.
    if (!manager.queryRunner?.isTransactionActive) {
      throw new Error('AuditLedger.append needs the EntityManager of an open transaction (TenantDb.run)');
    }
    const now = this.clock.now();
    const byChain = new Map<string, PreparedEvent[]>();
    for (const event of events) {
      const prepared = prepare(event, now);
      const chain = chainOf(prepared.org_id);
      const list = byChain.get(chain);
      if (list) list.push(prepared);
      else byChain.set(chain, [prepared]);
    }
    // One order for every writer, so two transactions spanning several chains cannot deadlock.
    for (const chain of [...byChain.keys()].sort()) {
      await this.appendToChain(manager, chain, byChain.get(chain) as PreparedEvent[]);
    }
    this.written.inc({ source }, events.length);
  }

  private async appendToChain(manager: EntityManager, chain: string, events: PreparedEvent[]): Promise<void> {
    const orgId = events[0].org_id;
    const [head] = await manager.query<{ seq: string; hash: string }[]>(ADVANCE_HEAD, [
      chain,
      orgId,
      events.length,
    ]);
    let seq = BigInt(head.seq) - BigInt(events.length);
    let prevHash = head.hash;
    const rows: AuditEventRow[] = events.map((event) => {
      seq += 1n;
      const unhashed = { ...event, seq: seq.toString(), prev_hash: prevHash };
      const row = { ...unhashed, hash: hashOf(unhashed) };
      prevHash = row.hash;
      return row;
    });

    // Very long batches go in several statements, each carrying at most INSERT_ROWS rows.
    for (let start = 0; start < rows.length; start += INSERT_ROWS) {
      const chunk = rows.slice(start, start + INSERT_ROWS);
      const last = start + INSERT_ROWS >= rows.length;
      await manager.query(...insertOf(chunk, last ? { chain, hash: prevHash } : undefined));
    }
  }
}

/** The INSERT of `rows`; with `head`, the same statement also moves the chain head's hash. */
function insertOf(
  rows: readonly AuditEventRow[],
  head?: { chain: string; hash: string },
): [string, unknown[]] {
  const params: unknown[] = COLUMNS.map((column) =>
    rows.map((row) => (column === 'details' ? JSON.stringify(row.details) : row[column])),
  );
  if (!head) return [INSERT_ROWS_SQL, params];
  params.push(head.hash, head.chain);
  return [INSERT_ROWS_AND_HEAD_SQL, params];
}

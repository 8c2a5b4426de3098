import type { EntityManager } from 'typeorm';
import { SYSTEM_SCOPE, type TenantDb, type TenantScope } from '../../database/tenant-db';
import { chainOf, GENESIS_HASH, hashOf, NO_ORG_CHAIN, TIMESTAMP_SQL } from './audit-chain';
import type { AuditEventRow } from './audit-event';

/**
 * Verification takes this lock shared and the retention purge takes it exclusively, so a purge never
 * deletes rows between the checkpoint a verification read and the rows it reads next.
 */
export const PURGE_LOCK_KEY = 7_424_006;

const PAGE = 1000;
/** Rounds of "the head moved on while we read": concurrent appends, not a break. */
const CATCH_UP_ROUNDS = 100;

export type BreakKind =
  | 'hash_mismatch'
  | 'prev_hash_mismatch'
  | 'missing_rows'
  | 'unexpected_seq'
  | 'head_mismatch'
  | 'head_missing';

/** The first row where the chain stops verifying, and why. `id`/`seq` are null when no row is to blame. */
export interface ChainBreak {
  readonly id: string | null;
  readonly seq: string | null;
  readonly kind: BreakKind;
  readonly description: string;
}

export interface ChainReport {
  readonly org_id: string | null;
  readonly ok: boolean;
  /** Rows checked (those the retention purge removed are not counted). */
  readonly rows: number;
  readonly first_seq: string | null;
  readonly last_seq: string | null;
  /** Where the remaining chain starts when the retention purge has removed older rows. */
  readonly checkpoint: { readonly seq: string; readonly hash: string } | null;
  readonly broken?: ChainBreak;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly chains: ChainReport[];
}

/** Which chains to verify: one organization's, the chain of events without one, or every chain. */
export type VerifyTarget = { readonly orgId: string | null } | 'all';

/** `seq` and `created_at` come back as text: ORDER BY must name the table's column (`e.seq`), not these. */
const ROW_COLUMNS = `id, seq::text AS seq, ${TIMESTAMP_SQL} AS created_at, org_id, user_id, actor_user_id,
  event_type, outcome, reason, route, ip, request_id, details, prev_hash, hash`;

/**
 * Re-computes every row's hash from its columns and checks each row links to the one before it, from the
 * latest retention checkpoint (or the genesis hash) to the chain head. Used by `GET /audit/verify` and
 * `npm run audit:verify`; works a page at a time, so a long chain is never held in memory.
 */
export class AuditVerifier {
  constructor(private readonly db: TenantDb) {}

  async verify(target: VerifyTarget): Promise<VerifyReport> {
    const orgIds = target === 'all' ? await this.allChains() : [target.orgId];
    const chains: ChainReport[] = [];
    for (const orgId of orgIds) chains.push(await this.verifyChain(orgId));
    return { ok: chains.every((chain) => chain.ok), chains };
  }

  /** Every chain that has a head, a checkpoint or a row (a skip scan over the chain index, not a full scan). */
  private async allChains(): Promise<(string | null)[]> {
    const rows = await this.db.run(SYSTEM_SCOPE, (manager) =>
      manager.query<{ chain_id: string }[]>(`
        WITH RECURSIVE chains AS (
          (SELECT chain_id FROM security_audit_events ORDER BY chain_id LIMIT 1)
          UNION ALL
          SELECT (SELECT e.chain_id FROM security_audit_events e
                   WHERE e.chain_id > chains.chain_id ORDER BY e.chain_id LIMIT 1)
            FROM chains WHERE chains.chain_id IS NOT NULL
        )
        SELECT chain_id FROM chains WHERE chain_id IS NOT NULL
        UNION SELECT chain_id FROM security_audit_chain_heads
        UNION SELECT chain_id FROM security_audit_checkpoints
        ORDER BY 1`),
    );
    return rows.map((row) => (row.chain_id === NO_ORG_CHAIN ? null : row.chain_id));
  }

  private verifyChain(orgId: string | null): Promise<ChainReport> {
    const scope: TenantScope = orgId ? { kind: 'org', orgId } : SYSTEM_SCOPE;
    return this.db.run(scope, async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock_shared($1)', [PURGE_LOCK_KEY]);
      return new ChainWalk(manager, orgId).run();
    });
  }
}

/** One chain's verification, in one transaction. */
class ChainWalk {
  private readonly chain: string;
  private rows = 0;
  private firstSeq: string | null = null;
  private lastSeq: bigint;
  private expectedSeq: bigint;
  private prevHash: string;
  private checkpoint: { seq: string; hash: string } | null = null;

  constructor(
    private readonly manager: EntityManager,
    private readonly orgId: string | null,
  ) {
    this.chain = chainOf(orgId);
    this.lastSeq = 0n;
    this.expectedSeq = 1n;
    this.prevHash = GENESIS_HASH;
  }

  async run(): Promise<ChainReport> {
    const [checkpoint] = await this.manager.query<{ seq: string; hash: string }[]>(
      `SELECT c.seq::text AS seq, c.hash FROM security_audit_checkpoints c WHERE c.chain_id = $1 ORDER BY c.seq DESC LIMIT 1`,
      [this.chain],
    );
    if (checkpoint) {
      this.checkpoint = checkpoint;
      this.lastSeq = BigInt(checkpoint.seq);
      this.expectedSeq = this.lastSeq + 1n;
      this.prevHash = checkpoint.hash;
    }

    let broken = await this.walkRows();
    for (let round = 0; !broken && round < CATCH_UP_ROUNDS; round += 1) {
      // The head moves in the same transaction as the rows it covers, so once a head is read, every row
      // up to it is readable: rows still missing after one more read were deleted, not in flight.
      const [head] = await this.manager.query<{ seq: string; hash: string }[]>(
        `SELECT seq::text AS seq, hash FROM security_audit_chain_heads WHERE chain_id = $1`,
        [this.chain],
      );
      if (!head) {
        if (this.lastSeq === 0n) return this.report(); // an empty chain: nothing was ever written
        return this.report(this.headBreak('head_missing', 'the chain has rows but its head row is missing'));
      }
      const headSeq = BigInt(head.seq);
      if (headSeq === this.lastSeq && head.hash === this.prevHash) return this.report();
      if (headSeq <= this.lastSeq) {
        return this.report(
          this.headBreak('head_mismatch', `the chain head (seq ${head.seq}) does not match the last row`),
        );
      }
      broken = await this.walkRows();
      if (!broken && this.lastSeq < headSeq) {
        return this.report(
          this.headBreak(
            'head_mismatch',
            `the chain head is at seq ${head.seq} but the rows end at seq ${this.lastSeq}: rows at the end were deleted`,
          ),
        );
      }
      // Rows were appended while we read: check against the new head.
    }
    return this.report(broken);
  }

  private headBreak(kind: BreakKind, description: string): ChainBreak {
    return { id: null, seq: this.lastSeq === 0n ? null : this.lastSeq.toString(), kind, description };
  }

  /** Reads rows after the last one checked until none are left; returns the first break, if any. */
  private async walkRows(): Promise<ChainBreak | undefined> {
    for (;;) {
      const page = await this.manager.query<AuditEventRow[]>(
        `SELECT ${ROW_COLUMNS} FROM security_audit_events e
          WHERE e.chain_id = $1 AND e.seq > $2 ORDER BY e.seq LIMIT ${PAGE}`,
        [this.chain, this.lastSeq.toString()],
      );
      for (const row of page) {
        const broken = this.check(row);
        if (broken) return broken;
      }
      if (page.length < PAGE) return undefined;
    }
  }

  private check(row: AuditEventRow): ChainBreak | undefined {
    const seq = BigInt(row.seq);
    const at = { id: row.id, seq: row.seq };
    if (seq > this.expectedSeq) {
      const missing =
        seq - this.expectedSeq === 1n
          ? `row ${this.expectedSeq} is`
          : `rows ${this.expectedSeq}..${seq - 1n} are`;
      return { ...at, kind: 'missing_rows', description: `${missing} missing before this row` };
    }
    if (seq < this.expectedSeq) {
      return { ...at, kind: 'unexpected_seq', description: `expected seq ${this.expectedSeq}` };
    }
    if (row.prev_hash !== this.prevHash) {
      return {
        ...at,
        kind: 'prev_hash_mismatch',
        description:
          'prev_hash does not match the hash of the row before it (or of the retention checkpoint)',
      };
    }
    if (hashOf(row) !== row.hash) {
      return { ...at, kind: 'hash_mismatch', description: 'the row was altered after it was written' };
    }
    this.rows += 1;
    this.firstSeq ??= row.seq;
    this.lastSeq = seq;
    this.expectedSeq = seq + 1n;
    this.prevHash = row.hash;
    return undefined;
  }

  private report(broken?: ChainBreak): ChainReport {
    return {
      org_id: this.orgId,
      ok: broken === undefined,
      rows: this.rows,
      first_seq: this.firstSeq,
      last_seq: this.rows > 0 ? this.lastSeq.toString() : null,
      checkpoint: this.checkpoint,
      ...(broken ? { broken } : {}),
    };
  }
}

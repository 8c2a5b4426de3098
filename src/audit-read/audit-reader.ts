import { Injectable } from '@nestjs/common';
import { TenantDb } from '../database/tenant-db';
import { RequestError } from '../common/errors/request-error';
import { CursorCodec } from '../common/pagination/cursor-codec';
import { TIMESTAMP_SQL } from '../audit/ledger/audit-chain';
import type { AuditEventRow, AuditOutcome } from '../audit/ledger/audit-event';

export type Order = 'desc' | 'asc';

export interface AuditEventFilters {
  readonly eventType?: string;
  readonly outcome?: AuditOutcome;
  readonly userId?: string;
  readonly from?: Date;
  readonly to?: Date;
}

/** `seq` and `created_at` come back as text: ORDER BY names the table's column (`e.seq`), not these. */
const COLUMNS = `id, seq::text AS seq, ${TIMESTAMP_SQL} AS created_at, org_id, user_id, actor_user_id,
  event_type, outcome, reason, route, ip, request_id, details, prev_hash, hash`;

/**
 * One organization's rows, a keyset page at a time on `seq`. Within a chain `seq` only grows, in commit
 * order (writers of a chain hold its head's lock until they commit), so a cursor never skips or repeats
 * a row however many are inserted meanwhile. Every query runs scoped to the organization (RLS under
 * ALPHASWARM_TENANCY_RLS_ENFORCE=strict) and filtered on its chain.
 */
@Injectable()
export class AuditReader {
  constructor(private readonly db: TenantDb) {}

  page(
    orgId: string,
    filters: AuditEventFilters,
    order: Order,
    limit: number,
    after?: bigint,
    upTo?: bigint,
  ): Promise<AuditEventRow[]> {
    const params: unknown[] = [orgId];
    const where = ['e.chain_id = $1'];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filters.eventType !== undefined) add('e.event_type = ?', filters.eventType);
    if (filters.outcome !== undefined) add('e.outcome = ?', filters.outcome);
    if (filters.userId !== undefined) add('e.user_id = ?', filters.userId);
    if (filters.from !== undefined) add('e.created_at >= ?', filters.from);
    if (filters.to !== undefined) add('e.created_at < ?', filters.to);
    if (after !== undefined) add(order === 'desc' ? 'e.seq < ?' : 'e.seq > ?', after.toString());
    if (upTo !== undefined) add('e.seq <= ?', upTo.toString());
    params.push(limit);
    return this.db.run({ kind: 'org', orgId }, (manager) =>
      manager.query<AuditEventRow[]>(
        `SELECT ${COLUMNS} FROM security_audit_events e WHERE ${where.join(' AND ')}
          ORDER BY e.seq ${order === 'desc' ? 'DESC' : 'ASC'} LIMIT $${params.length}`,
        params,
      ),
    );
  }

  /** The chain's last seq now (0 when empty): an export stops there, so it is one point in time. */
  async headSeq(orgId: string): Promise<bigint> {
    const [head] = await this.db.run({ kind: 'org', orgId }, (manager) =>
      manager.query<{ seq: string }[]>(
        `SELECT seq::text AS seq FROM security_audit_chain_heads WHERE chain_id = $1`,
        [orgId],
      ),
    );
    return head ? BigInt(head.seq) : 0n;
  }
}

interface AuditPosition {
  readonly seq: string;
  readonly order: Order;
}

/** Opaque to clients: base64url of `{ s: <seq>, o: <order> }`. */
const AUDIT_CURSOR = new CursorCodec<AuditPosition>(
  (position) => ({ s: position.seq, o: position.order }),
  (payload) => {
    const { s, o } = (typeof payload === 'object' && payload !== null ? payload : {}) as Record<
      string,
      unknown
    >;
    if (typeof s !== 'string' || !/^[1-9]\d{0,17}$/.test(s) || (o !== 'desc' && o !== 'asc'))
      return undefined;
    return { seq: s, order: o };
  },
  'cursor must be the next_cursor of a previous page',
);

export function encodeCursor(seq: string, order: Order): string {
  return AUDIT_CURSOR.encode({ seq, order });
}

/** The seq a cursor points after; 400 `invalid_request` for anything that is not one of our cursors. */
export function decodeCursor(cursor: string, order: Order): bigint {
  const position = AUDIT_CURSOR.decode(cursor);
  if (position.order !== order) {
    throw new RequestError(
      'invalid_request',
      400,
      `cursor belongs to order=${position.order}; repeat that order with it`,
    );
  }
  return BigInt(position.seq);
}

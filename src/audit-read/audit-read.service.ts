import { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { TenantDb } from '../database/tenant-db';
import { RequestError } from '../common/errors/request-error';
import { type AuthenticatedRequest, routeTemplateOf } from '../identity/request-context';
import type { AuditEventRow } from '../audit/ledger/audit-event';
import { AuditLedger } from '../audit/ledger/audit-ledger';
import { AuditVerifier, type VerifyReport, type VerifyTarget } from '../audit/ledger/audit-verifier';
import type { AuditEventFilterQuery, ListAuditEventsQuery } from './audit-query.dto';
import { type AuditEventFilters, AuditReader, decodeCursor, encodeCursor } from './audit-reader';

export interface AuditEventsPage {
  readonly events: AuditEventRow[];
  /** Pass as `cursor` for the next page; null on the last page. */
  readonly next_cursor: string | null;
}

const DEFAULT_LIMIT = 100;
const EXPORT_PAGE = 500;

/**
 * The audit read API's rules: filters, pages, the export, verification. Which organization, and whether
 * the caller may read it, was decided by `@OrgScoped` before any of this runs.
 */
@Injectable()
export class AuditReadService {
  private readonly verifier: AuditVerifier;

  constructor(
    private readonly reader: AuditReader,
    private readonly ledger: AuditLedger,
    db: TenantDb,
  ) {
    this.verifier = new AuditVerifier(db);
  }

  async list(orgId: string, request: FastifyRequest, query: ListAuditEventsQuery): Promise<AuditEventsPage> {
    if (wantsNdjson(request)) {
      throw new RequestError(
        'not_acceptable',
        406,
        'The NDJSON export is GET /audit/events/export (it requires a recent MFA); this route answers JSON pages',
      );
    }
    const order = query.order ?? 'desc';
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, order);
    const limit = query.limit ?? DEFAULT_LIMIT;
    // One row more than asked says whether there is a next page, without counting.
    const rows = await this.reader.page(orgId, filtersOf(query), order, limit + 1, after);
    const events = rows.slice(0, limit);
    const more = rows.length > limit;
    return { events, next_cursor: more ? encodeCursor(events[events.length - 1].seq, order) : null };
  }

  /**
   * The organization's events matching the filters as NDJSON, read from the database a page at a time
   * while the response is written (never all in memory), up to the chain head as it was when the export
   * began. The export itself is recorded in the ledger before the first row is sent (and is not in it).
   */
  async export(
    orgId: string,
    request: AuthenticatedRequest,
    query: AuditEventFilterQuery,
  ): Promise<Readable> {
    const order = query.order ?? 'desc';
    const filters = filtersOf(query);
    const upTo = await this.reader.headSeq(orgId);
    await this.ledger.record({
      eventType: 'audit.export',
      outcome: 'success',
      orgId,
      userId: request.principal?.sub ?? null,
      route: routeTemplateOf(request),
      ip: request.ip,
      requestId: String(request.id),
      details: { filters: { ...query } },
    });
    const reader = this.reader;
    async function* lines(): AsyncGenerator<string> {
      let after: bigint | undefined;
      for (;;) {
        const rows = await reader.page(orgId, filters, order, EXPORT_PAGE, after, upTo);
        if (rows.length > 0) yield `${rows.map((row) => JSON.stringify(row)).join('\n')}\n`;
        if (rows.length < EXPORT_PAGE) return;
        after = BigInt(rows[rows.length - 1].seq);
      }
    }
    return Readable.from(lines(), { objectMode: false });
  }

  verify(target: VerifyTarget): Promise<VerifyReport> {
    return this.verifier.verify(target);
  }
}

function wantsNdjson(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  return typeof accept === 'string' && accept.toLowerCase().includes('application/x-ndjson');
}

function filtersOf(query: AuditEventFilterQuery): AuditEventFilters {
  const from = query.from === undefined ? undefined : new Date(query.from);
  const to = query.to === undefined ? undefined : new Date(query.to);
  if (from && to && from.getTime() > to.getTime()) {
    throw new RequestError('invalid_request', 400, 'from must not be after to');
  }
  return { eventType: query.event_type, outcome: query.outcome, userId: query.user, from, to };
}

import { Injectable } from '@nestjs/common';
import type { AuditEventInput } from '../../audit/ledger/audit-event';
import { AuditLedger } from '../../audit/ledger/audit-ledger';
import { RequestError } from '../../common/errors/request-error';
import { SYSTEM_SCOPE, TenantDb } from '../../database/tenant-db';

/** Rows per ledger transaction; a longer queue is written in several. */
const MAX_BATCH = 500;

/**
 * The ledger rows of resolves, written by group commit: every resolve waits until its row is committed
 * (no plaintext leaves before its audit row is durable; a failed write fails the resolve), but the
 * resolves that arrive while one transaction commits share the next one. Written one transaction per
 * resolve, they queued on their organization's chain lock and a busy credential resolved at the rate
 * of the database's commits (measured: under 40/s on the bench machine).
 */
@Injectable()
export class ResolveAudit {
  private queue: { event: AuditEventInput; settle: (error?: unknown) => void }[] = [];
  private flushing = false;

  constructor(
    private readonly ledger: AuditLedger,
    private readonly tenantDb: TenantDb,
  ) {}

  /** Resolves once `event` is committed to the ledger; a failed write is a 503 (fail closed). */
  record(event: AuditEventInput): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({
        event,
        settle: (error) =>
          error === undefined
            ? resolve()
            : reject(
                new RequestError('service_unavailable', 503, 'The audit ledger cannot be written; try again'),
              ),
      });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        try {
          await this.tenantDb.run(SYSTEM_SCOPE, (manager) =>
            this.ledger.appendMany(
              manager,
              batch.map((entry) => entry.event),
            ),
          );
          for (const entry of batch) entry.settle();
        } catch (error) {
          for (const entry of batch) entry.settle(error ?? new Error('the ledger write failed'));
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}

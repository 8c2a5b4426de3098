import { Inject, Injectable, Logger, type OnApplicationBootstrap, Optional } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { DataSource, type EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { JOB_QUEUE, type JobQueue } from '../../jobs/job-queue';
import { MetricsService } from '../../observability/metrics.service';
import { AUDIT_CLOCK, type AuditClock, SYSTEM_CLOCK } from './audit-clock';
import { PURGE_LOCK_KEY } from './audit-verifier';

/** The only role that may DELETE ledger rows (migrations/…-CreateSecurityAuditLedger.ts). */
export const MAINTENANCE_ROLE = 'alphaswarm_audit_maintenance';
export const RETENTION_JOB = 'audit.retention';
/** Hourly: each run is cheap when there is nothing to purge, and a missed run is caught up by the next. */
export const RETENTION_PERIOD_MS = 60 * 60 * 1000;
/** Rows deleted per transaction, so a large backlog never holds one long transaction. */
const BATCH = 5000;

export interface PurgeReport {
  readonly cutoff: string;
  readonly purged: number;
  /** Chains that lost rows, with the checkpoint each now starts from. */
  readonly chains: { org_id: string | null; purged: number; checkpoint_seq: string }[];
}

/**
 * Deletes events older than ALPHASWARM_AUTH_AUDIT_RETENTION_DAYS, as `alphaswarm_audit_maintenance`
 * (the app role cannot delete). Only a chain's oldest rows go, a prefix up to the first row that is still
 * young enough, and each deletion records a checkpoint (the last purged row's seq and hash) in the same
 * transaction, so the rows that remain still verify from that checkpoint.
 */
@Injectable()
export class AuditRetention implements OnApplicationBootstrap {
  private readonly logger = new Logger('audit');
  private readonly clock: AuditClock;
  private readonly purgedRows: Counter;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    @Inject(JOB_QUEUE) private readonly jobs: JobQueue,
    metrics: MetricsService,
    @Optional() @Inject(AUDIT_CLOCK) clock?: AuditClock,
  ) {
    this.clock = clock ?? SYSTEM_CLOCK;
    this.purgedRows = metrics.counter(
      'alphaswarm_audit_purged_rows_total',
      'Audit events deleted by the retention purge',
      [],
    );
  }

  /** Every instance registers the handler and the schedule; the queue runs it once per period. */
  onApplicationBootstrap(): void {
    if (!this.config.audit.enabled) return;
    this.jobs.register(RETENTION_JOB, async () => {
      const report = await this.purge();
      if (report.purged > 0) this.logger.log({ event: 'audit_retention_purged', ...report });
    });
    // Redis being down at boot must not stop the service: the next instance (or restart) schedules it.
    this.jobs
      .schedule(RETENTION_JOB, RETENTION_PERIOD_MS)
      .catch((error: unknown) => this.logger.warn({ event: 'audit_retention_schedule_failed', err: error }));
  }

  async purge(now: Date = this.clock.now()): Promise<PurgeReport> {
    const cutoff = new Date(now.getTime() - this.config.audit.retentionDays * 86_400_000);
    const chains = await this.asMaintenance((manager) =>
      manager.query<{ chain_id: string; org_id: string | null }[]>(
        `SELECT chain_id, org_id FROM security_audit_chain_heads ORDER BY chain_id`,
      ),
    );
    const report: PurgeReport = { cutoff: cutoff.toISOString(), purged: 0, chains: [] };
    for (const { chain_id: chain, org_id: orgId } of chains) {
      let purged = 0;
      let checkpoint: string | undefined;
      for (;;) {
        const batch = await this.asMaintenance((manager) =>
          this.purgeBatch(manager, chain, orgId, cutoff, now),
        );
        if (!batch) break;
        purged += batch.purged;
        checkpoint = batch.seq;
        if (batch.purged < BATCH) break;
      }
      if (checkpoint !== undefined) {
        report.chains.push({ org_id: orgId, purged, checkpoint_seq: checkpoint });
        (report as { purged: number }).purged += purged;
      }
    }
    this.purgedRows.inc(report.purged);
    return report;
  }

  /** Deletes up to BATCH of the chain's oldest expired rows and checkpoints the last one; undefined when none. */
  private async purgeBatch(
    manager: EntityManager,
    chain: string,
    orgId: string | null,
    cutoff: Date,
    now: Date,
  ): Promise<{ purged: number; seq: string } | undefined> {
    // The first row young enough to keep: it and everything after it stay, even an older row written
    // after it (clocks differ between instances); the chain is only ever cut before one row.
    const [last] = await manager.query<{ seq: string; hash: string }[]>(
      `SELECT seq::text AS seq, hash FROM (
         SELECT seq, hash FROM security_audit_events
          WHERE chain_id = $1
            AND seq < coalesce(
              (SELECT min(seq) FROM security_audit_events WHERE chain_id = $1 AND created_at >= $2),
              9223372036854775807)
          ORDER BY seq LIMIT ${BATCH}
       ) expired ORDER BY expired.seq DESC LIMIT 1`,
      [chain, cutoff],
    );
    if (!last) return undefined;
    // TypeORM answers a DELETE with [rows, affected].
    const [, purged] = await manager.query<[unknown, number]>(
      `DELETE FROM security_audit_events WHERE chain_id = $1 AND seq <= $2`,
      [chain, last.seq],
    );
    await manager.query(
      `INSERT INTO security_audit_checkpoints (chain_id, org_id, seq, hash, purged_rows, created_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [chain, orgId, last.seq, last.hash, purged, now],
    );
    return { purged, seq: last.seq };
  }

  /**
   * A transaction as the maintenance role, holding the purge lock that verifications take shared: a
   * verification never sees a checkpoint without the deletion it stands for, nor the reverse.
   */
  private asMaintenance<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT set_config('role', $1, true)`, [MAINTENANCE_ROLE]);
      await manager.query('SELECT pg_advisory_xact_lock($1)', [PURGE_LOCK_KEY]);
      return work(manager);
    });
  }
}

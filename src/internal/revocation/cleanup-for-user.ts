import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditLedger } from '../../audit/ledger/audit-ledger';
import { SYSTEM_SCOPE, TenantDb } from '../../database/tenant-db';
import { JOB_QUEUE, type JobQueue } from '../../jobs/job-queue';
import { RevocationRegistry } from './revocation-registry';

export const CLEANUP_FOR_USER_JOB = 'cleanup_for_user';

/** Where a revocation came from (recorded in the ledger row). */
export type RevocationSource = 'auth0_log_stream' | 'oidc_backchannel_logout';

/** One user's revocation: their tokens issued at or before `revokedBefore` are refused. */
export interface Revocation {
  readonly sub: string;
  readonly revokedBefore: Date;
  readonly source: RevocationSource;
  /** What the source said happened (Auth0 event type codes, or the back-channel logout event). */
  readonly eventTypes: readonly string[];
  /** Auth0 `log_id`s the revocation acts on: marked processed in the same transaction. */
  readonly logIds?: readonly string[];
  /** The back-channel logout token's `jti`, for the ledger. */
  readonly tokenId?: string;
}

/** The job's payload, as it travels through the queue (JSON: the date as ISO text). */
export interface CleanupForUserJob {
  readonly sub: string;
  readonly revokedBefore: string;
  readonly source: RevocationSource;
  readonly eventTypes: readonly string[];
  readonly logIds: readonly string[];
}

/** A ledger row lists at most this many log ids (a row holds at most 16 KiB of details). */
const LEDGER_LOG_IDS = 50;

/**
 * `cleanup_for_user` (docs/revocation.md): records "tokens of this subject issued at or before T are
 * refused" in Postgres with its ledger row, applies it on this instance and broadcasts it to every
 * other, all in one transaction. The job runs on the shared queue (Bull on Redis; in-process in
 * development) and is safe to run twice: the revocation only moves forward.
 */
@Injectable()
export class CleanupForUser implements OnApplicationBootstrap {
  constructor(
    private readonly tenantDb: TenantDb,
    private readonly ledger: AuditLedger,
    private readonly registry: RevocationRegistry,
    @Inject(JOB_QUEUE) private readonly jobs: JobQueue,
  ) {}

  onApplicationBootstrap(): void {
    this.jobs.register<CleanupForUserJob>(CLEANUP_FOR_USER_JOB, (job) => this.run(fromJob(job)));
  }

  /** Queues the cleanup; rejects when the queue cannot take it (the caller keeps it pending). */
  enqueue(revocation: Revocation): Promise<void> {
    return this.jobs.enqueue<CleanupForUserJob>(CLEANUP_FOR_USER_JOB, {
      sub: revocation.sub,
      revokedBefore: revocation.revokedBefore.toISOString(),
      source: revocation.source,
      eventTypes: [...revocation.eventTypes],
      logIds: [...(revocation.logIds ?? [])],
    });
  }

  /** Runs the cleanup now, in a transaction of its own. */
  run(revocation: Revocation): Promise<void> {
    return this.tenantDb.run(SYSTEM_SCOPE, (db) => this.revokeIn(db, revocation));
  }

  /**
   * Records the revocation and its ledger row in the caller's transaction, then applies it here and
   * broadcasts it, still inside that transaction: when the broadcast cannot be sent, the error rolls
   * everything back, so the caller answers 503 or its job is retried, and nothing is half-done (stored
   * but unheard by instances that are listening and so not reading the table).
   */
  async revokeIn(db: EntityManager, revocation: Revocation): Promise<void> {
    const revokedBefore = await this.record(db, revocation);
    if (revokedBefore) await this.registry.announce(revocation.sub, revokedBefore);
  }

  /** The stored `revoked_before`, or undefined when every log event it acts on was acted on already. */
  private async record(db: EntityManager, revocation: Revocation): Promise<Date | undefined> {
    const logIds = revocation.logIds ?? [];
    if (logIds.length > 0) {
      // A job that runs again (a retry, a sweep racing a slow job) finds its events done: nothing to do.
      const [, marked] = await db.query<[unknown[], number]>(
        `UPDATE auth0_log_events SET processed_at = now() WHERE log_id = ANY($1) AND processed_at IS NULL`,
        [logIds],
      );
      if (marked === 0) return undefined;
    }
    const [row] = await db.query<{ revoked_before: Date }[]>(
      `INSERT INTO token_revocations AS r (subject, revoked_before) VALUES ($1, $2)
       ON CONFLICT (subject) DO UPDATE
         SET revoked_before = greatest(r.revoked_before, excluded.revoked_before), updated_at = now()
       RETURNING revoked_before`,
      [revocation.sub, revocation.revokedBefore],
    );
    await this.ledger.append(db, {
      eventType: 'revocation.cleanup_for_user',
      outcome: 'success',
      userId: revocation.sub,
      details: {
        source: revocation.source,
        event_types: [...new Set(revocation.eventTypes)],
        revoked_before: revocation.revokedBefore.toISOString(),
        ...(logIds.length > 0 && {
          log_ids: logIds.slice(0, LEDGER_LOG_IDS),
          log_id_count: logIds.length,
        }),
        ...(revocation.tokenId !== undefined && { logout_token_jti: revocation.tokenId }),
      },
    });
    return row.revoked_before;
  }
}

function fromJob(job: CleanupForUserJob): Revocation {
  return {
    sub: job.sub,
    revokedBefore: new Date(job.revokedBefore),
    source: job.source,
    eventTypes: job.eventTypes,
    logIds: job.logIds,
  };
}

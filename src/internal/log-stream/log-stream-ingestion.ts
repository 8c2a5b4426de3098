import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Counter } from 'prom-client';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { RequestError } from '../../common/errors/request-error';
import { SYSTEM_SCOPE, TenantDb } from '../../database/tenant-db';
import { MetricsService } from '../../observability/metrics.service';
import { CleanupForUser } from '../revocation/cleanup-for-user';
import { type DropReason, elementsOf, type LogStreamEvent, sortBatch } from './log-stream-batch';

/** How often each instance looks for revoking events whose cleanup job was lost. */
export const LOG_STREAM_SWEEP_MS = 2000;
/** A revoking event still unprocessed this long after its job was queued is queued again. */
export const LOG_STREAM_DISPATCH_LEASE_MS = 10_000;
/** Events queued again per sweep, per instance. */
const SWEEP_BATCH = 1000;

/** What the webhook answers: what happened to each element of the batch. */
export interface IngestReport {
  readonly received: number;
  readonly stored: number;
  /** Elements not stored, by reason (`duplicate`: in this batch or already stored). */
  readonly skipped: Record<DropReason, number>;
}

/** A stored revoking event, as the dispatcher needs it. */
interface RevokingEvent {
  readonly log_id: string;
  readonly event_type: string;
  readonly subject: string;
  readonly occurred_at: Date;
}

/** A row the batch insert stored (a duplicate returns none). */
interface StoredEvent extends Omit<RevokingEvent, 'subject'> {
  readonly subject: string | null;
  readonly revokes: boolean;
}

const INSERT_EVENTS = `
  INSERT INTO auth0_log_events (log_id, event_type, subject, occurred_at, revokes, dispatched_at)
  SELECT e.log_id, e.event_type, e.subject, e.occurred_at, e.revokes, CASE WHEN e.revokes THEN now() END
    FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::boolean[])
      AS e(log_id, event_type, subject, occurred_at, revokes)
  ON CONFLICT (log_id) DO NOTHING
  RETURNING log_id, event_type, subject, occurred_at, revokes`;

/** Claims revoking events whose job is overdue, so one instance queues each again. */
const CLAIM_OVERDUE = `
  UPDATE auth0_log_events SET dispatched_at = now()
   WHERE log_id IN (
     SELECT log_id FROM auth0_log_events
      WHERE revokes AND processed_at IS NULL
        AND (dispatched_at IS NULL OR dispatched_at < now() - make_interval(secs => $1))
      ORDER BY dispatched_at NULLS FIRST
      LIMIT ${SWEEP_BATCH}
      FOR UPDATE SKIP LOCKED)
  RETURNING log_id, event_type, subject, occurred_at`;

/**
 * The Auth0 log stream (docs/revocation.md): stores each batch in one statement, answers, and only
 * then, off the request path, queues a `cleanup_for_user` job per user the batch revokes. Delivery is at
 * least once: `log_id` is the table's key, so a redelivered event is found there and skipped. A revoking
 * event stays pending until its job has run; a sweep on every instance queues overdue ones again (the
 * queue was down, a job was lost), so a stored revocation is acted on as soon as the queue is back.
 */
@Injectable()
export class LogStreamIngestion implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('log-stream');
  private readonly maxAgeMs: number;
  private readonly skewMs: number;
  private readonly events: Counter<'outcome'>;
  private readonly dispatchFailures: Counter;
  private sweeper?: NodeJS.Timeout;
  private sweeping = false;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly tenantDb: TenantDb,
    private readonly cleanup: CleanupForUser,
    metrics: MetricsService,
  ) {
    this.maxAgeMs = config.logStream.maxAgeSeconds * 1000;
    this.skewMs = config.auth.clockSkewSeconds * 1000;
    this.events = metrics.counter(
      'alphaswarm_log_stream_events_total',
      'Auth0 log-stream events by outcome: stored, or skipped as duplicate, invalid, undated, too_old or future',
      ['outcome'],
    );
    this.dispatchFailures = metrics.counter(
      'alphaswarm_log_stream_dispatch_failures_total',
      'cleanup_for_user jobs that could not be queued (the events stay pending and are queued again)',
      [],
    );
  }

  onApplicationBootstrap(): void {
    this.sweeper = setInterval(() => void this.sweep(), LOG_STREAM_SWEEP_MS);
    this.sweeper.unref();
  }

  onApplicationShutdown(): void {
    if (this.sweeper) clearInterval(this.sweeper);
  }

  /**
   * Stores a batch and reports on it; the revocations it carries are queued after this returns. Throws
   * 400 for a body that is not JSON (array, object or lines) and 503 when the batch could not be stored.
   */
  async ingest(body: string): Promise<IngestReport> {
    const elements = elementsOf(body);
    if (elements === undefined) {
      throw new RequestError(
        'malformed_body',
        400,
        'The body is not a JSON array, a JSON object or JSON lines',
      );
    }
    const { events, dropped } = sortBatch(elements, {
      now: Date.now(),
      maxAgeMs: this.maxAgeMs,
      skewMs: this.skewMs,
    });
    const stored = await this.store(events);
    const skipped = { ...dropped, duplicate: dropped.duplicate + events.length - stored.length };
    this.count(stored.length, skipped);
    // A revoking event always has a subject (see meaningOf); the check keeps the type honest.
    const revoking = stored.filter(
      (row): row is StoredEvent & RevokingEvent => row.revokes && row.subject !== null,
    );
    if (revoking.length > 0) void this.dispatch(revoking);
    return { received: elements.length, stored: stored.length, skipped };
  }

  /** Queues again the revoking events whose job is overdue; returns how many. */
  async sweep(): Promise<number> {
    if (this.sweeping) return 0;
    this.sweeping = true;
    try {
      // TypeORM answers an UPDATE … RETURNING with [rows, count].
      const [overdue] = await this.tenantDb.run(SYSTEM_SCOPE, (db) =>
        db.query<[RevokingEvent[], number]>(CLAIM_OVERDUE, [LOG_STREAM_DISPATCH_LEASE_MS / 1000]),
      );
      if (overdue.length > 0) await this.dispatch(overdue);
      return overdue.length;
    } catch (error) {
      this.logger.warn({ event: 'log_stream_sweep_failed', err: error });
      return 0;
    } finally {
      this.sweeping = false;
    }
  }

  private async store(events: readonly LogStreamEvent[]): Promise<StoredEvent[]> {
    if (events.length === 0) return [];
    try {
      return await this.tenantDb.run(SYSTEM_SCOPE, (db) =>
        db.query<StoredEvent[]>(INSERT_EVENTS, [
          events.map((event) => event.logId),
          events.map((event) => event.type),
          events.map((event) => event.subject),
          events.map((event) => event.occurredAt),
          events.map((event) => event.revokes),
        ]),
      );
    } catch (error) {
      // Not stored: say so, and Auth0 delivers the batch again.
      this.logger.warn({ event: 'log_stream_store_failed', err: error });
      throw new RequestError('service_unavailable', 503, 'The batch could not be stored; deliver it again');
    }
  }

  /** One job per user: the latest revoking moment among their events, with every log id it covers. */
  private async dispatch(events: readonly RevokingEvent[]): Promise<void> {
    const byUser = new Map<string, { before: Date; logIds: string[]; types: Set<string> }>();
    for (const event of events) {
      const user = byUser.get(event.subject);
      if (!user) {
        byUser.set(event.subject, {
          before: event.occurred_at,
          logIds: [event.log_id],
          types: new Set([event.event_type]),
        });
        continue;
      }
      if (event.occurred_at > user.before) user.before = event.occurred_at;
      user.logIds.push(event.log_id);
      user.types.add(event.event_type);
    }
    await Promise.all(
      [...byUser].map(([sub, user]) =>
        this.cleanup
          .enqueue({
            sub,
            revokedBefore: user.before,
            source: 'auth0_log_stream',
            eventTypes: [...user.types],
            logIds: user.logIds,
          })
          .catch((error: unknown) => {
            // The events stay pending: the sweep queues them again once the queue takes jobs.
            this.dispatchFailures.inc();
            this.logger.warn({ event: 'log_stream_dispatch_failed', err: error });
          }),
      ),
    );
  }

  private count(stored: number, skipped: Record<DropReason, number>): void {
    if (stored > 0) this.events.inc({ outcome: 'stored' }, stored);
    for (const [outcome, count] of Object.entries(skipped)) {
      if (count > 0) this.events.inc({ outcome }, count);
    }
  }
}

import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  Optional,
} from '@nestjs/common';
import { Gauge, type Counter } from 'prom-client';
import type { DecisionEvent, DecisionSink } from '../../identity/decisions/decision-sink';
import { MetricsService } from '../../observability/metrics.service';
import { isUuid } from '../../common/uuid';
import { NO_ORG_CHAIN } from '../ledger/audit-chain';
import type { AuditEventInput } from '../ledger/audit-event';
import { AuditLedger } from '../ledger/audit-ledger';

export interface AuditBufferLimits {
  /** Events held at most; past that, new decisions are dropped and counted. */
  readonly capacity: number;
  /** Events written per transaction; a buffer this full is flushed at once. */
  readonly batchSize: number;
  readonly flushIntervalMs: number;
  /** Writes of one batch before it is given up (dropped and counted). */
  readonly attempts: number;
}

export const DEFAULT_BUFFER_LIMITS: AuditBufferLimits = {
  capacity: 10_000,
  batchSize: 500,
  flushIntervalMs: 250,
  attempts: 3,
};

/** Optional provider overriding DEFAULT_BUFFER_LIMITS (tests use a tiny buffer). */
export const AUDIT_BUFFER_LIMITS = Symbol('AUDIT_BUFFER_LIMITS');

/**
 * The ledger side of identity's `DecisionSink`: denies, would-be denies and step-ups are pushed onto a
 * bounded array on the request path (nothing else happens there) and written by a background loop in
 * batches, every `flushIntervalMs` or as soon as a batch is full. The database is never on the request
 * path: when it is slow or down, a deny is still a deny; the buffer fills, then drops, and both are
 * counted. Whatever is buffered is flushed at shutdown (after the HTTP server stopped taking requests).
 */
@Injectable()
export class AuditDecisionBuffer implements DecisionSink, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('audit');
  private readonly limits: AuditBufferLimits;
  private queue: DecisionEvent[] = [];
  /** The batch whose write failed, retried before anything newer. */
  private retrying?: { events: DecisionEvent[]; attempts: number };
  private flushing?: Promise<void>;
  /** Events being written right now (neither in the queue nor retrying). */
  private inFlight = 0;
  private timer?: NodeJS.Timeout;
  private kicked = false;
  private readonly droppedFull: Counter.Internal;
  private readonly droppedFailed: Counter.Internal;
  private readonly failures: Counter;

  constructor(
    private readonly ledger: AuditLedger,
    metrics: MetricsService,
    @Optional() @Inject(AUDIT_BUFFER_LIMITS) limits?: AuditBufferLimits,
  ) {
    this.limits = limits ?? DEFAULT_BUFFER_LIMITS;
    const dropped = metrics.counter(
      'alphaswarm_audit_events_dropped_total',
      'Authorization decisions not written to the audit ledger: buffer_full (the writer fell behind) or write_failed (the database refused the batch repeatedly)',
      ['reason'],
    );
    // Bound once: the hot path then only adds to a number.
    this.droppedFull = dropped.labels('buffer_full');
    this.droppedFailed = dropped.labels('write_failed');
    this.failures = metrics.counter(
      'alphaswarm_audit_write_failures_total',
      'Failed attempts to write a batch of buffered decisions to the audit ledger',
      [],
    );
    const queued = () => this.queue.length + (this.retrying?.events.length ?? 0) + this.inFlight;
    new Gauge({
      name: 'alphaswarm_audit_buffer_events',
      help: 'Authorization decisions waiting in memory to be written to the audit ledger',
      registers: [metrics.registry],
      collect() {
        this.set(queued());
      },
    });
  }

  /** The request path: one comparison and one push. */
  record(event: DecisionEvent): void {
    if (!this.ledger.enabled) return;
    if (this.queue.length >= this.limits.capacity) {
      this.droppedFull.inc();
      return;
    }
    this.queue.push(event);
    if (this.queue.length >= this.limits.batchSize && !this.kicked) {
      this.kicked = true;
      setImmediate(() => {
        this.kicked = false;
        void this.flush();
      });
    }
  }

  onApplicationBootstrap(): void {
    if (!this.ledger.enabled) return;
    this.timer = setInterval(() => {
      if (this.queue.length > 0 || this.retrying) void this.flush();
    }, this.limits.flushIntervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    // Each flush stops at the first failure; a few rounds give a failing batch its retries.
    for (
      let round = 0;
      round <= this.limits.attempts && (this.queue.length > 0 || this.retrying);
      round += 1
    ) {
      await this.flush();
    }
    const lost = this.queue.length + (this.retrying?.events.length ?? 0);
    if (lost > 0) {
      this.droppedFailed.inc(lost);
      this.logger.warn({ event: 'audit_buffer_lost_at_shutdown', events: lost });
    }
  }

  /** Writes what is buffered; concurrent callers share one run. Resolves when it is done, never rejects. */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async drain(): Promise<void> {
    if (this.retrying) {
      const batch = this.retrying;
      if (!(await this.write(batch.events))) {
        batch.attempts += 1;
        if (batch.attempts >= this.limits.attempts) {
          this.droppedFailed.inc(batch.events.length);
          this.retrying = undefined;
        }
        return; // the database is failing: wait for the next tick
      }
      this.retrying = undefined;
    }
    while (this.queue.length > 0) {
      const events = this.queue.splice(0, this.limits.batchSize);
      if (!(await this.write(events))) {
        this.retrying = { events, attempts: 1 };
        return;
      }
    }
  }

  private async write(events: DecisionEvent[]): Promise<boolean> {
    this.inFlight = events.length;
    try {
      await this.ledger.recordBatch(events.map(auditEventOf));
      return true;
    } catch (error) {
      this.failures.inc();
      this.logger.warn({ event: 'audit_write_failed', events: events.length, err: error });
      return false;
    } finally {
      this.inFlight = 0;
    }
  }
}

/**
 * A decision as a ledger row. Org and user come only from a verified principal: an unverified token's
 * claims are never trusted, so its deny lands in the chain of events without an organization. A step-up
 * refusal (`insufficient_user_authentication`) is a `step_up` event, like a step-up that passed.
 */
export function auditEventOf(event: DecisionEvent): AuditEventInput {
  const principal = event.principal;
  const known = principal && principal.actorType !== 'anonymous' ? principal : null;
  const claimedOrg = known?.orgId;
  const orgId =
    claimedOrg !== undefined && isUuid(claimedOrg) && claimedOrg !== NO_ORG_CHAIN ? claimedOrg : null;
  const stepUp = event.kind === 'step_up_passed' || event.reason === 'insufficient_user_authentication';
  return {
    eventType: stepUp ? 'step_up' : 'authz_decision',
    outcome: event.kind === 'step_up_passed' ? 'success' : event.kind,
    orgId,
    // A delegated token's `sub` is the human; the agent is the actor.
    userId: known?.sub ?? null,
    actorUserId: known?.actor?.sub ?? null,
    reason: event.reason,
    route: event.route,
    ip: event.ip,
    requestId: event.requestId,
    details: {
      method: event.method,
      actor_type: principal?.actorType ?? null,
      ...(known?.clientId ? { client_id: known.clientId } : {}),
      // An organization claim that is not one of ours (e.g. an Auth0 `org_…` id) is kept, not chained on.
      ...(claimedOrg !== undefined && orgId === null ? { claimed_org: claimedOrg.slice(0, 128) } : {}),
    },
    occurredAt: new Date(event.at),
  };
}

import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { Gauge, type Counter } from 'prom-client';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { REDIS } from '../../core/core.module';
import { SYSTEM_SCOPE, TenantDb } from '../../database/tenant-db';
import type { TokenRevocations } from '../../identity/cache/token-revocations';
import { VerifiedTokenCache } from '../../identity/cache/verified-token-cache';
import type { Principal } from '../../identity/principal';
import { MetricsService } from '../../observability/metrics.service';
import { MembershipCache } from '../../tenancy/memberships/membership-cache';
import { subscriberConnection } from '../../core/redis-options';

/** While the broadcast cannot be heard, the table is read again this often. */
export const REVOCATION_POLL_MS = 1000;
const SUBSCRIBE_WAIT_MS = 2000;

/** One revocation as it travels between instances. */
interface RevocationMessage {
  readonly sub: string;
  /** `revoked_before` in epoch milliseconds. */
  readonly before: number;
}

/**
 * Identity's `TOKEN_REVOCATIONS` port, answered from memory: the subjects whose tokens issued at or
 * before a moment are refused (docs/revocation.md). The table is read at boot, so an instance started
 * after a revocation refuses the old token too; afterwards every revocation reaches every instance
 * over Redis pub/sub. While that subscription is down, the instance reads the table every
 * REVOCATION_POLL_MS instead, and reads it once more when it subscribes again (messages sent
 * meanwhile were lost): a revocation is late by at most that long, never lost.
 */
@Injectable()
export class RevocationRegistry implements TokenRevocations, OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('revocation');
  /** Subject → the last second (epoch) whose tokens are refused: `iat <= through` is revoked. */
  private readonly through = new Map<string, number>();
  private readonly channel: string;
  private subscriber: Redis | null = null;
  private listening: boolean;
  private poller?: NodeJS.Timeout;
  /** Set at shutdown: the subscriber's closing must not start the poller again. */
  private stopped = false;
  /** Subjects whose cached tokens and memberships are still to be forgotten (batched per tick). */
  private readonly toForget = new Set<string>();
  private forgetScheduled = false;
  private readonly publishFailures: Counter;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis | null,
    private readonly tenantDb: TenantDb,
    private readonly verified: VerifiedTokenCache,
    private readonly memberships: MembershipCache,
    metrics: MetricsService,
  ) {
    // Deployments sharing one Redis have their own prefix (as the job queue), so their own channel.
    this.channel = `${config.jobs.queuePrefix}:revocations`;
    this.listening = redis === null;
    this.publishFailures = metrics.counter(
      'alphaswarm_revocation_publish_failures_total',
      'Revocations that could not be broadcast over Redis (other instances catch up by reading the table)',
      [],
    );
    const registry = this; // eslint-disable-line @typescript-eslint/no-this-alias -- read by the gauges at scrape time
    new Gauge({
      name: 'alphaswarm_revoked_subjects',
      help: 'Subjects with a revocation held in memory by this instance',
      registers: [metrics.registry],
      collect() {
        this.set(registry.through.size);
      },
    });
    new Gauge({
      name: 'alphaswarm_revocation_broadcast_listening',
      help: '1 while this instance hears revocations over Redis, 0 while it polls the table instead',
      registers: [metrics.registry],
      collect() {
        this.set(registry.listening ? 1 : 0);
      },
    });
  }

  /** Reads the table before the app takes requests (a failure stops the boot: fail closed), then listens. */
  async onModuleInit(): Promise<void> {
    await this.reload();
    if (!this.redis) return;
    const subscriber = subscriberConnection(this.redis);
    this.subscriber = subscriber;
    subscriber.on('message', (_channel: string, message: string) => this.hear(message));
    const deaf = (): void => {
      this.listening = false;
      this.startPolling();
    };
    let subscribed: () => void = () => undefined;
    const first = new Promise<void>((resolve) => {
      subscribed = resolve;
      setTimeout(resolve, SUBSCRIBE_WAIT_MS).unref();
    });
    subscriber.on('close', deaf);
    subscriber.on('reconnecting', deaf);
    subscriber.on('ready', () => {
      subscriber.subscribe(this.channel).then(async () => {
        // Whatever was revoked while nobody listened is in the table.
        await this.reload().catch(() => undefined);
        this.listening = true;
        this.stopPolling();
        subscribed();
      }, deaf);
    });
    if (!this.listening) this.startPolling();
    await first;
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    this.stopPolling();
    this.subscriber?.disconnect();
  }

  /** The hot path: one map lookup. A token without `iat` of a revoked subject is refused (ambiguity). */
  isRevoked(principal: Principal): boolean {
    const through = this.through.get(principal.sub);
    if (through === undefined) return false;
    return principal.issuedAt === undefined || principal.issuedAt <= through;
  }

  /** Whether tokens of `sub` issued at `issuedAt` (epoch seconds) are refused here. */
  revokes(sub: string, issuedAt: number): boolean {
    const through = this.through.get(sub);
    return through !== undefined && issuedAt <= through;
  }

  get size(): number {
    return this.through.size;
  }

  /**
   * Applies a revocation here, then tells every other instance. Throws when the broadcast could not be
   * sent; call it inside the transaction that stores the revocation, so that failure rolls it back.
   */
  async announce(sub: string, revokedBefore: Date): Promise<void> {
    this.apply(sub, revokedBefore.getTime());
    if (!this.redis) return;
    const message: RevocationMessage = { sub, before: revokedBefore.getTime() };
    try {
      await this.redis.publish(this.channel, JSON.stringify(message));
    } catch (error) {
      this.publishFailures.inc();
      throw error;
    }
  }

  /** Reads every revocation from the table (at boot, after a reconnect, and while polling). */
  async reload(): Promise<void> {
    const rows = await this.tenantDb.run(SYSTEM_SCOPE, (db) =>
      db.query<{ subject: string; before: string }[]>(
        `SELECT subject, (extract(epoch FROM revoked_before) * 1000)::bigint::text AS before FROM token_revocations`,
      ),
    );
    for (const row of rows) this.apply(row.subject, Number(row.before));
  }

  private hear(raw: string): void {
    let message: Partial<RevocationMessage>;
    try {
      message = JSON.parse(raw) as Partial<RevocationMessage>;
    } catch {
      return;
    }
    if (typeof message.sub !== 'string' || typeof message.before !== 'number') return;
    this.apply(message.sub, message.before);
  }

  /** Moves a subject's revocation forward (never back), and forgets what was cached for it. */
  private apply(sub: string, beforeMs: number): void {
    if (!Number.isFinite(beforeMs)) return;
    const through = Math.floor(beforeMs / 1000);
    const known = this.through.get(sub);
    if (known !== undefined && known >= through) return;
    this.through.set(sub, through);
    this.toForget.add(sub);
    if (this.forgetScheduled) return;
    this.forgetScheduled = true;
    // The map already refuses the tokens; the caches are only tidied, once per burst of revocations.
    setImmediate(() => this.forgetPending());
  }

  private forgetPending(): void {
    this.forgetScheduled = false;
    const subjects = new Set(this.toForget);
    this.toForget.clear();
    if (subjects.size === 0) return;
    this.verified.forgetSubjects(subjects);
    this.memberships.forgetSubjects(subjects);
  }

  private startPolling(): void {
    if (this.poller || this.stopped) return;
    this.poller = setInterval(() => {
      this.reload().catch((error: unknown) =>
        this.logger.warn({ event: 'revocation_reload_failed', err: error }),
      );
    }, REVOCATION_POLL_MS);
    this.poller.unref();
  }

  private stopPolling(): void {
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
  }
}

import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { LRUCache } from 'lru-cache';
import { type Counter, Gauge } from 'prom-client';
import { REDIS } from '../../core/core.module';
import { SYSTEM_SCOPE, TenantDb } from '../../database/tenant-db';
import { HotCounter, type HotSeries } from '../../observability/hot-counter';
import { MetricsService } from '../../observability/metrics.service';
import { Organization } from '../organizations/organization.entity';
import type { Role } from './membership.entity';
import { subscriberConnection } from '../../core/redis-options';

/** Where a user stands in one organization, as the database said a moment ago. */
export interface OrgStanding {
  /** The internal user id, or null when the subject has no user row (then `member` is false). */
  readonly userId: string | null;
  /** The organization-level role, or null when the user only holds narrower memberships (or none). */
  readonly role: Role | null;
  /** Whether the user holds any membership in the organization, at any scope. */
  readonly member: boolean;
}

/** Safety net only: every membership change invalidates at once, on every instance. */
export const MEMBERSHIP_CACHE_TTL_MS = 10_000;
export const MEMBERSHIP_CACHE_MAX_ENTRIES = 10_000;
const CHANNEL = 'alphaswarm:tenancy:invalidate';
const EVERYTHING = '*';
const SUBSCRIBE_WAIT_MS = 2000;

/**
 * Memberships as `@OrgScoped` reads them: from the database through a short-lived cache, invalidated
 * on every instance through Redis pub/sub when anything changes. The cache is trusted only while the
 * subscription is up: with Redis down every check goes to the database (never a stale allow), and
 * after a reconnect the cache starts empty (messages sent meanwhile were lost). Without REDIS_URL
 * (development, one process) invalidation is local.
 */
@Injectable()
export class MembershipCache implements OnModuleInit, OnApplicationShutdown {
  private readonly standings = new LRUCache<string, OrgStanding>({
    max: MEMBERSHIP_CACHE_MAX_ENTRIES,
    ttl: MEMBERSHIP_CACHE_TTL_MS,
  });
  private readonly orgIdsByAuth0Id = new LRUCache<string, string>({
    max: MEMBERSHIP_CACHE_MAX_ENTRIES,
    ttl: MEMBERSHIP_CACHE_TTL_MS,
  });
  private subscriber: Redis | null = null;
  /** Whether cached entries may be served: always without Redis, only while subscribed with it. */
  private trusted: boolean;
  /** Bumped by every invalidation, so a read that raced a change does not cache what it saw. */
  private generation = 0;
  /** Database reads in flight, by key; an invalidation forgets them so later checks read afresh. */
  private readonly loading = new Map<string, Promise<OrgStanding>>();
  private readonly publishFailures: Counter;
  private readonly hits: HotSeries;
  private readonly misses: HotSeries;

  constructor(
    @Inject(REDIS) private readonly redis: Redis | null,
    private readonly tenantDb: TenantDb,
    metrics: MetricsService,
  ) {
    this.trusted = redis === null;
    this.publishFailures = metrics.counter(
      'alphaswarm_membership_invalidation_publish_failures_total',
      'Membership changes whose cross-instance invalidation could not be published to Redis',
      [],
    );
    const lookups = new HotCounter<'result'>();
    metrics.counter(
      'alphaswarm_membership_cache_total',
      'Membership checks of @OrgScoped: hit (from the cache) or miss (read from the database)',
      ['result'],
      [lookups],
    );
    this.hits = lookups.series('hit', (result) => ({ result }));
    this.misses = lookups.series('miss', (result) => ({ result }));
    const cache = this; // eslint-disable-line @typescript-eslint/no-this-alias -- read by the gauge at scrape time
    new Gauge({
      name: 'alphaswarm_membership_cache_trusted',
      help: '1 while the membership cache may be served (subscribed to invalidations), 0 while every check reads the database',
      registers: [metrics.registry],
      collect() {
        this.set(cache.trusted ? 1 : 0);
      },
    });
  }

  /**
   * Subscribes before the app takes requests (up to SUBSCRIBE_WAIT_MS), so a fresh instance caches
   * from its first request; with Redis away it starts untrusted and reads the database meanwhile.
   */
  async onModuleInit(): Promise<void> {
    if (!this.redis) return;
    const subscriber = subscriberConnection(this.redis);
    this.subscriber = subscriber;
    subscriber.on('message', (_channel: string, message: string) => this.drop(message));
    const distrust = (): void => {
      this.trusted = false;
      this.drop(EVERYTHING);
    };
    let subscribed: () => void = () => undefined;
    const first = new Promise<void>((resolve) => {
      subscribed = resolve;
      setTimeout(resolve, SUBSCRIBE_WAIT_MS).unref();
    });
    subscriber.on('close', distrust);
    subscriber.on('reconnecting', distrust);
    subscriber.on('ready', () => {
      subscriber.subscribe(CHANNEL).then(() => {
        // Whatever changed while unsubscribed was not heard: start from the database again.
        this.drop(EVERYTHING);
        this.trusted = true;
        subscribed();
      }, distrust);
    });
    await first;
  }

  onApplicationShutdown(): void {
    this.subscriber?.disconnect();
  }

  /** The cached standing, if one may be served: lets `@OrgScoped` answer without awaiting. */
  peek(sub: string, orgId: string): OrgStanding | undefined {
    const standing = this.trusted ? this.standings.get(keyOf(sub, orgId)) : undefined;
    if (standing) this.hits.count += 1;
    return standing;
  }

  async standing(sub: string, orgId: string): Promise<OrgStanding> {
    const cached = this.peek(sub, orgId);
    if (cached) return cached;
    this.misses.count += 1;
    // When an entry expires under load, every request for it misses at once: they share one read.
    const key = keyOf(sub, orgId);
    const shared = this.loading.get(key);
    if (shared) return shared;
    const loading = this.load(sub, orgId).finally(() => {
      if (this.loading.get(key) === loading) this.loading.delete(key);
    });
    this.loading.set(key, loading);
    return loading;
  }

  private async load(sub: string, orgId: string): Promise<OrgStanding> {
    const generation = this.generation;
    // Raw SQL: the @OrgScoped hot path; one statement answers user id, org role and membership at once.
    const rows = await this.tenantDb.run({ kind: 'org', orgId }, (db) =>
      db.query<{ user_id: string; role: Role | null; member: boolean }[]>(
        `SELECT u.id AS user_id,
                (SELECT m.role FROM memberships m
                  WHERE m.user_id = u.id AND m.org_id = $2 AND m.scope_kind = 'organization') AS role,
                EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.org_id = $2) AS member
           FROM users u WHERE u.sub = $1`,
        [sub, orgId],
      ),
    );
    const row = rows[0];
    const standing: OrgStanding = row
      ? { userId: row.user_id, role: row.role, member: row.member }
      : { userId: null, role: null, member: false };
    if (this.trusted && generation === this.generation) this.standings.set(keyOf(sub, orgId), standing);
    return standing;
  }

  /** The internal id of the organization bound to an Auth0 Organization id (`org_…`), if any. */
  async orgIdOfAuth0Org(auth0OrgId: string): Promise<string | undefined> {
    const cached = this.trusted ? this.orgIdsByAuth0Id.get(auth0OrgId) : undefined;
    if (cached) return cached;
    const generation = this.generation;
    const organization = await this.tenantDb.run(SYSTEM_SCOPE, (db) =>
      db.getRepository(Organization).findOne({ where: { auth0OrgId }, select: { id: true } }),
    );
    const id = organization?.id;
    if (id && this.trusted && generation === this.generation) this.orgIdsByAuth0Id.set(auth0OrgId, id);
    return id;
  }

  /**
   * Call after a change to an organization's memberships (or its binding) has committed: drops this
   * instance's entries at once and tells every other instance. A failed publish is counted; the other
   * instances then hold their entries at most MEMBERSHIP_CACHE_TTL_MS.
   */
  async invalidate(orgId: string): Promise<void> {
    this.drop(orgId);
    if (!this.redis) return;
    try {
      await this.redis.publish(CHANNEL, orgId);
    } catch {
      this.publishFailures.inc();
    }
  }

  /**
   * Forgets what this instance cached about these subjects, in every organization (their tokens were
   * revoked). Local only: whoever revokes tells every instance itself.
   */
  forgetSubjects(subjects: ReadonlySet<string>): void {
    this.generation += 1;
    this.loading.clear();
    for (const key of this.standings.keys()) {
      if (subjects.has(key.slice(key.indexOf(' ') + 1))) this.standings.delete(key);
    }
  }

  private drop(orgId: string): void {
    this.generation += 1;
    this.loading.clear();
    if (orgId === EVERYTHING) {
      this.standings.clear();
      this.orgIdsByAuth0Id.clear();
      return;
    }
    const prefix = `${orgId} `;
    for (const key of this.standings.keys()) if (key.startsWith(prefix)) this.standings.delete(key);
    // Bindings are few and rarely change: forget them all rather than index them by organization.
    this.orgIdsByAuth0Id.clear();
  }
}

function keyOf(sub: string, orgId: string): string {
  return `${orgId} ${sub}`;
}

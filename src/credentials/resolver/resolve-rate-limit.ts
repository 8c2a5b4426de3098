import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import type { Counter } from 'prom-client';
import { RequestError } from '../../common/errors/request-error';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { REDIS } from '../../core/core.module';
import { MetricsService } from '../../observability/metrics.service';

const WINDOW_MS = 60_000;

/*
 * One fixed one-minute window per client, counted in Redis so the limit holds across every instance:
 * INCR the window's key and give a new key its expiry in the same round trip.
 */
const COUNT = `
  local count = redis.call('INCR', KEYS[1])
  if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
  return count`;

/**
 * The resolver's rate limit: ALPHASWARM_CREDENTIALS_RESOLVE_RATE_LIMIT resolves per client per minute.
 * Fails closed: when Redis does not answer, resolves are refused (503), never let through uncounted.
 * Without REDIS_URL (development only) the count is this process's own.
 */
@Injectable()
export class ResolveRateLimit {
  private readonly limit: number;
  private readonly prefix: string;
  private readonly local = new Map<string, number>();
  private readonly refused: Counter<never>;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis | null,
    metrics: MetricsService,
  ) {
    this.limit = config.credentials.resolveRatePerMinute;
    this.prefix = `${config.jobs.queuePrefix}:credentials:resolve`;
    this.refused = metrics.counter(
      'alphaswarm_credentials_resolve_rate_limited_total',
      'Credential resolves refused by the per-client rate limit',
      [],
    );
  }

  /** Counts one resolve of `clientId`; throws 429 `rate_limited` past the limit, 503 when Redis is down. */
  async take(clientId: string): Promise<void> {
    const window = Math.floor(Date.now() / WINDOW_MS);
    const key = `${this.prefix}:${clientId}:${window}`;
    const count = this.redis ? await this.countInRedis(key) : this.countHere(key, window);
    if (count > this.limit) {
      this.refused.inc();
      throw new RequestError(
        'rate_limited',
        429,
        `at most ${this.limit} resolves per minute for this client`,
      );
    }
  }

  private async countInRedis(key: string): Promise<number> {
    try {
      return Number(await (this.redis as Redis).eval(COUNT, 1, key, WINDOW_MS));
    } catch {
      throw new RequestError('service_unavailable', 503, 'the rate limiter is not reachable; try again');
    }
  }

  private countHere(key: string, window: number): number {
    const count = (this.local.get(key) ?? 0) + 1;
    if (count === 1) {
      for (const old of this.local.keys()) if (!old.endsWith(`:${window}`)) this.local.delete(old);
    }
    this.local.set(key, count);
    return count;
  }
}

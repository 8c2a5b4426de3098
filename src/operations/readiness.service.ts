import { Inject, Injectable, Optional } from '@nestjs/common';
import type Redis from 'ioredis';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { DATABASE, REDIS } from '../core/core.module';
import type { DatabaseHandle } from '../database/database';
import { JwksKeyStore } from '../identity/jwt/jwks-key-store';
import { JOB_QUEUE, type JobQueue } from '../jobs/job-queue';
import { READINESS_CHECKS, type ReadinessCheck } from '../observability/readiness-check';

const CHECK_TIMEOUT_MS = 2000;

export interface Readiness {
  /** `ok` as the tenant-router runbook's readiness check expects it; `not_ready` names the failures. */
  status: 'ok' | 'not_ready';
  /** The checks that failed, by name. */
  not_ready: string[];
  provider: string;
  enforce_mode: string;
  checks: {
    database: { status: 'ok' | 'down'; kind: string; error?: string };
    redis: { status: 'ok' | 'down' | 'not_configured'; error?: string };
    /** `stale`: the last fetch failed or is old, the last good keys still serve (ready, but look). */
    jwks: {
      status: 'warm' | 'stale' | 'cold';
      uri: string;
      keys: number;
      last_fetch_at: string | null;
      age_seconds: number | null;
      error?: string;
    };
    jobs: { runner: 'bull' | 'in-process' };
    /** Features with their own say (the edge check), by name. */
    [feature: string]: unknown;
  };
  /** Top-level facts of those features (the edge: `auth_mode`, `cba_mode`, `cells`, `registry_stale`). */
  [fact: string]: unknown;
}

/**
 * Answers "can this instance serve traffic": the database, Redis (when configured) and a JWKS fetched at
 * least once. A stale JWKS (IdP unreachable since) keeps the instance ready: it still verifies tokens
 * with the last good keys, and pulling every instance out of the load balancer would be worse.
 */
@Injectable()
export class ReadinessService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(DATABASE) private readonly database: DatabaseHandle,
    @Inject(REDIS) private readonly redis: Redis | null,
    private readonly jwks: JwksKeyStore,
    @Inject(JOB_QUEUE) private readonly jobs: JobQueue,
    @Optional() @Inject(READINESS_CHECKS) private readonly features: readonly ReadinessCheck[] = [],
  ) {}

  async check(): Promise<Readiness> {
    const [database, redis] = await Promise.all([this.checkDatabase(), this.checkRedis()]);
    const keys = this.jwks.status();
    const jwks = {
      status: keys.status,
      uri: keys.uri,
      keys: keys.keys,
      last_fetch_at: keys.lastFetchAt ?? null,
      age_seconds: keys.ageSeconds ?? null,
      ...(keys.lastError ? { error: keys.lastError } : {}),
    };
    const notReady = [
      ...(database.status === 'down' ? ['database'] : []),
      ...(redis.status === 'down' ? ['redis'] : []),
      ...(jwks.status === 'cold' ? ['jwks'] : []),
    ];
    const reports = this.features.map((feature) => [feature.name, feature.report()] as const);
    const summary: Record<string, unknown> = {};
    for (const [name, report] of reports) {
      if (!report.ready) notReady.push(name);
      Object.assign(summary, report.summary);
    }
    return {
      ...summary,
      status: notReady.length === 0 ? 'ok' : 'not_ready',
      not_ready: notReady,
      provider: this.config.auth.provider,
      enforce_mode: this.config.auth.enforce,
      checks: {
        database,
        redis,
        jwks,
        jobs: { runner: this.jobs.runner },
        ...Object.fromEntries(reports.map(([name, report]) => [name, report.details])),
      },
    };
  }

  private async checkDatabase(): Promise<Readiness['checks']['database']> {
    try {
      await withTimeout(this.database.dataSource.query('SELECT 1'));
      return { status: 'ok', kind: this.database.kind };
    } catch (error) {
      return { status: 'down', kind: this.database.kind, error: messageOf(error) };
    }
  }

  private async checkRedis(): Promise<Readiness['checks']['redis']> {
    if (!this.redis) return { status: 'not_configured' };
    const redis = this.redis;
    try {
      // Right after boot (or a reconnect) the client may still be connecting: give it the check's time.
      if (redis.status !== 'ready') {
        await withTimeout(new Promise<void>((resolve) => redis.once('ready', () => resolve())));
      }
      await withTimeout(redis.ping());
      return { status: 'ok' };
    } catch (error) {
      return { status: 'down', error: messageOf(error) };
    }
  }
}

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

import {
  type DynamicModule,
  Global,
  Inject,
  Injectable,
  Module,
  type OnApplicationShutdown,
} from '@nestjs/common';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { DatabaseHandle } from '../database/database';
import { TenantDb } from '../database/tenant-db';
import { MetricsService } from '../observability/metrics.service';
import { REDIS_DISCONNECT_TIMEOUT_MS } from './redis-options';

export const DATABASE = Symbol('DATABASE');
/** The shared Redis connection, or `null` when REDIS_URL is unset (development only). */
export const REDIS = Symbol('REDIS');

/** Closes what the core opened, after the HTTP server has stopped taking requests. */
@Injectable()
class CoreLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(DATABASE) private readonly database: DatabaseHandle,
    @Inject(REDIS) private readonly redis: Redis | null,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.redis) this.redis.disconnect();
    await this.database.close();
  }
}

/**
 * Configuration, the database, Redis and the metrics registry: what every module may use. Global, as
 * Nest practice keeps configuration and the database: nearly every provider reads them, so listing
 * this module in every `imports` would tell a reader nothing. Feature modules are not global.
 */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: AppConfig, database: DatabaseHandle): DynamicModule {
    const redis = config.redis.url
      ? new Redis(config.redis.url, {
          lazyConnect: false,
          // Fail fast instead of queueing commands while Redis is down: callers deny or answer 503.
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
          connectTimeout: 2000,
          disconnectTimeout: REDIS_DISCONNECT_TIMEOUT_MS,
          // The commands of one event-loop turn (DPoP replay claims, resolve limits of concurrent
          // requests) go out in one write instead of one each; see docs/benchmark.md.
          enableAutoPipelining: true,
        })
      : null;
    // ioredis reconnects by itself; an unhandled 'error' event would crash the process instead.
    redis?.on('error', () => undefined);
    return {
      module: CoreModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: DATABASE, useValue: database },
        { provide: DataSource, useValue: database.dataSource },
        { provide: REDIS, useValue: redis },
        MetricsService,
        TenantDb,
        CoreLifecycle,
      ],
      exports: [APP_CONFIG, DATABASE, DataSource, REDIS, MetricsService, TenantDb],
    };
  }
}

import { BullModule, type BullRootModuleOptions } from '@nestjs/bull';
import { type DynamicModule, Global, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { REDIS_DISCONNECT_TIMEOUT_MS } from '../core/redis-options';
import { BullJobQueue, JOBS_QUEUE_NAME } from './bull-job-queue';
import { InProcessJobQueue } from './in-process-job-queue';
import { JOB_ATTEMPTS, JOB_BACKOFF_MS, JOB_QUEUE } from './job-queue';

/**
 * Bull checks the Redis version from its constructor, which opens a connection at boot even on an
 * instance that never queues or takes a job; without the check, connections open on first use.
 * (A Bull option its type declarations leave out.)
 */
const OPEN_CONNECTIONS_ON_FIRST_USE = { skipVersionCheck: true };

/**
 * The job queue behind `JOB_QUEUE`. With Redis, Nest's Bull module creates the queue and closes it on
 * shutdown; without Redis (development only) jobs run in this process behind the same interface.
 */
@Global()
@Module({})
export class JobsModule {
  static forRoot(config: AppConfig): DynamicModule {
    if (!config.redis.url) {
      return {
        module: JobsModule,
        providers: [InProcessJobQueue, { provide: JOB_QUEUE, useExisting: InProcessJobQueue }],
        exports: [JOB_QUEUE],
      };
    }
    return {
      module: JobsModule,
      imports: [
        BullModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: ({ redis, jobs }: AppConfig): BullRootModuleOptions => ({
            url: redis.url,
            redis: { disconnectTimeout: REDIS_DISCONNECT_TIMEOUT_MS },
            prefix: jobs.queuePrefix,
            defaultJobOptions: {
              attempts: JOB_ATTEMPTS,
              backoff: { type: 'exponential', delay: JOB_BACKOFF_MS },
              removeOnComplete: 1000,
              removeOnFail: 5000,
            },
            ...OPEN_CONNECTIONS_ON_FIRST_USE,
          }),
        }),
        BullModule.registerQueue({ name: JOBS_QUEUE_NAME }),
      ],
      providers: [BullJobQueue, { provide: JOB_QUEUE, useExisting: BullJobQueue }],
      exports: [JOB_QUEUE],
    };
  }
}

import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { BullJobQueue } from './bull-job-queue';
import { InProcessJobQueue } from './in-process-job-queue';
import { JOB_QUEUE } from './job-queue';

@Global()
@Module({})
export class JobsModule {
  static forRoot(config: AppConfig): DynamicModule {
    const implementation = config.redis.url ? BullJobQueue : InProcessJobQueue;
    return {
      module: JobsModule,
      providers: [implementation, { provide: JOB_QUEUE, useExisting: implementation }],
      exports: [JOB_QUEUE],
    };
  }
}

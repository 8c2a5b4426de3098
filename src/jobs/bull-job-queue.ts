import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { Job, Queue } from 'bull';
import type { JobHandler, JobQueue } from './job-queue';

export const JOBS_QUEUE_NAME = 'jobs';
const CONCURRENCY = 4;

/**
 * Jobs on Redis through Bull, shared by every instance. The queue itself (its connections, prefix and
 * retry policy) belongs to Nest's Bull module, which also closes it on shutdown; this class keeps the
 * handlers by name and starts taking jobs only once this instance has a handler to run.
 */
@Injectable()
export class BullJobQueue implements JobQueue, OnApplicationBootstrap {
  readonly runner = 'bull' as const;
  private readonly logger = new Logger('jobs');
  private readonly handlers = new Map<string, JobHandler>();
  private booted = false;
  private processing = false;

  constructor(@InjectQueue(JOBS_QUEUE_NAME) private readonly queue: Queue) {
    queue.on('error', (error) => this.logger.warn({ event: 'job_queue_error', err: error }));
    queue.on('failed', (job, error) =>
      this.logger.warn({ event: 'job_failed', job: job.name, attempt: job.attemptsMade, err: error }),
    );
  }

  register<T>(name: string, handler: JobHandler<T>): void {
    if (this.handlers.has(name)) throw new Error(`job ${name} already has a handler`);
    this.handlers.set(name, handler as JobHandler);
    // A handler registered after boot still needs this instance to take jobs.
    if (this.booted) this.startProcessing();
  }

  async enqueue<T>(name: string, data: T): Promise<void> {
    await this.queue.add(name, data);
  }

  async schedule(name: string, everyMs: number): Promise<void> {
    // A fixed jobId makes every instance's schedule the same repeatable job, run once per period.
    await this.queue.add(name, {}, { repeat: { every: everyMs }, jobId: `schedule:${name}` });
  }

  onApplicationBootstrap(): void {
    this.booted = true;
    if (this.handlers.size > 0) this.startProcessing();
  }

  private startProcessing(): void {
    if (this.processing) return;
    this.processing = true;
    // One processor for every job name: Bull runs a separate set of worker loops per named processor,
    // all blocking on one connection, which makes shutdown race. process() resolves only on close.
    void this.queue.process('*', CONCURRENCY, (job: Job) => this.dispatch(job)).catch(() => undefined);
  }

  private dispatch(job: Job): Promise<void> {
    const handler = this.handlers.get(job.name);
    // Failing (rather than dropping) leaves the job to be retried, e.g. by an instance that knows it.
    if (!handler) return Promise.reject(new Error(`no handler registered for job ${job.name}`));
    return handler(job.data);
  }
}

import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import Bull from 'bull';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { JOB_ATTEMPTS, JOB_BACKOFF_MS, type JobHandler, type JobQueue } from './job-queue';

const QUEUE_NAME = 'jobs';
const CONCURRENCY = 4;

/**
 * Jobs on Redis through Bull, shared by every instance. The queue (three Redis connections) is opened
 * only once a handler is registered or a job is queued, so an instance without jobs holds none.
 */
@Injectable()
export class BullJobQueue implements JobQueue, OnApplicationBootstrap, OnApplicationShutdown {
  readonly runner = 'bull' as const;
  private readonly logger = new Logger('jobs');
  private readonly handlers = new Map<string, JobHandler>();
  private queue?: Bull.Queue;
  private booted = false;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  register<T>(name: string, handler: JobHandler<T>): void {
    if (this.handlers.has(name)) throw new Error(`job ${name} already has a handler`);
    this.handlers.set(name, handler as JobHandler);
    // A handler registered after boot still needs this instance to take jobs.
    if (this.booted) this.open();
  }

  async enqueue<T>(name: string, data: T): Promise<void> {
    await this.open().add(name, data);
  }

  async schedule(name: string, everyMs: number): Promise<void> {
    // A fixed jobId makes every instance's schedule the same repeatable job, run once per period.
    await this.open().add(name, {}, { repeat: { every: everyMs }, jobId: `schedule:${name}` });
  }

  onApplicationBootstrap(): void {
    this.booted = true;
    if (this.handlers.size > 0) this.open();
  }

  async onApplicationShutdown(): Promise<void> {
    const queue = this.queue;
    this.queue = undefined;
    if (!queue) return;
    // A queue closed before it finished connecting rejects its readiness promise: swallow that here.
    await queue.isReady().catch(() => undefined);
    await queue
      .close()
      .catch((error: unknown) => this.logger.warn({ event: 'job_queue_close_failed', err: error }));
  }

  private open(): Bull.Queue {
    if (this.queue) return this.queue;
    const queue = new Bull(QUEUE_NAME, this.config.redis.url as string, {
      prefix: this.config.jobs.queuePrefix,
      defaultJobOptions: {
        attempts: JOB_ATTEMPTS,
        backoff: { type: 'exponential', delay: JOB_BACKOFF_MS },
        removeOnComplete: 1000,
        removeOnFail: 5000,
      },
    });
    queue.on('error', (error) => this.logger.warn({ event: 'job_queue_error', err: error }));
    queue.on('failed', (job, error) =>
      this.logger.warn({ event: 'job_failed', job: job.name, attempt: job.attemptsMade, err: error }),
    );
    this.queue = queue;
    // One processor for every job name: Bull runs a separate set of worker loops per named processor,
    // all blocking on one connection, which makes shutdown race. process() resolves only on close.
    void queue.process('*', CONCURRENCY, (job: Bull.Job) => this.dispatch(job)).catch(() => undefined);
    return queue;
  }

  private dispatch(job: Bull.Job): Promise<void> {
    const handler = this.handlers.get(job.name);
    // Failing (rather than dropping) leaves the job to be retried, e.g. by an instance that knows it.
    if (!handler) return Promise.reject(new Error(`no handler registered for job ${job.name}`));
    return handler(job.data);
  }
}

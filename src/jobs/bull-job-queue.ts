import { InjectQueue } from '@nestjs/bull';
import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Job, Queue } from 'bull';
import type { JobHandler, JobQueue } from './job-queue';

export const JOBS_QUEUE_NAME = 'jobs';
const CONCURRENCY = 4;
/**
 * How long shutdown waits for the queue's own start-up steps and this instance's adds before closing
 * it. They take a few milliseconds on a reachable Redis; on an unreachable one they never finish, and
 * closing ends them.
 */
const SETTLE_BEFORE_CLOSE_MS = 1000;

/**
 * Jobs on Redis through Bull, shared by every instance. The queue itself (its connections, prefix and
 * retry policy) belongs to Nest's Bull module; this class keeps the handlers by name, starts taking
 * jobs only once this instance has a handler to run, and closes the queue once nothing it started is
 * still on its way to Redis.
 */
@Injectable()
export class BullJobQueue implements JobQueue, OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly runner = 'bull' as const;
  private readonly logger = new Logger('jobs');
  private readonly handlers = new Map<string, JobHandler>();
  /** Adds and start-up steps not settled yet; shutdown lets them finish before closing the queue. */
  private readonly pending = new Set<Promise<void>>();
  private booted = false;
  private processing = false;

  constructor(@InjectQueue(JOBS_QUEUE_NAME) private readonly queue: Queue) {
    queue.on('error', (error) => this.logger.warn({ event: 'job_queue_error', err: error }));
    queue.on('failed', (job, error) =>
      this.logger.warn({ event: 'job_failed', job: job.name, attempt: job.attemptsMade, err: error }),
    );
    // process() names this worker's blocking connection in the background and drops the promise
    // (setHandler calls setWorkerName). A close that overtook it left a rejection nobody handled
    // ("Connection is closed.", which ends a Node process), or the connection opened after the close
    // had shut the others, holding the process open. Here it is awaited by shutdown and its failure
    // is a log line.
    const setWorkerName = queue.setWorkerName.bind(queue);
    queue.setWorkerName = () =>
      this.track(
        setWorkerName().then(
          () => undefined,
          (error: unknown) => this.logger.debug({ event: 'job_worker_name_failed', err: error }),
        ),
      );
  }

  register<T>(name: string, handler: JobHandler<T>): void {
    if (this.handlers.has(name)) throw new Error(`job ${name} already has a handler`);
    this.handlers.set(name, handler as JobHandler);
    // A handler registered after boot still needs this instance to take jobs.
    if (this.booted) this.startProcessing();
  }

  async enqueue<T>(name: string, data: T): Promise<void> {
    await this.track(this.queue.add(name, data));
  }

  async schedule(name: string, everyMs: number): Promise<void> {
    // A fixed jobId makes every instance's schedule the same repeatable job, run once per period.
    await this.track(this.queue.add(name, {}, { repeat: { every: everyMs }, jobId: `schedule:${name}` }));
  }

  onApplicationBootstrap(): void {
    this.booted = true;
    if (this.handlers.size > 0) this.startProcessing();
  }

  /**
   * Closes the queue here rather than leaving it to the Bull module's shutdown hook (whose close() then
   * finds it closed): after what is in flight has settled, and while the database is still open for the
   * jobs the close waits for. Connections a start-up step opened during the close are shut after it.
   */
  async beforeApplicationShutdown(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, SETTLE_BEFORE_CLOSE_MS)));
    await Promise.race([Promise.allSettled([...this.pending]), deadline]);
    clearTimeout(timer);
    await this.queue.close();
    for (const client of this.queue.clients) if (client.status !== 'end') client.disconnect();
  }

  private track<T>(work: Promise<T>): Promise<T> {
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.pending.add(settled);
    void settled.finally(() => this.pending.delete(settled));
    return work;
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

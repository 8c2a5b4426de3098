import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { JOB_ATTEMPTS, JOB_BACKOFF_MS, type JobHandler, type JobQueue } from './job-queue';

/** Jobs in this process: for a single development instance without Redis. Shutdown waits for running jobs. */
@Injectable()
export class InProcessJobQueue implements JobQueue, OnApplicationShutdown {
  readonly runner = 'in-process' as const;
  private readonly logger = new Logger('jobs');
  private readonly handlers = new Map<string, JobHandler>();
  private readonly running = new Set<Promise<void>>();
  private readonly timers: NodeJS.Timeout[] = [];
  private closing = false;

  register<T>(name: string, handler: JobHandler<T>): void {
    if (this.handlers.has(name)) throw new Error(`job ${name} already has a handler`);
    this.handlers.set(name, handler as JobHandler);
  }

  enqueue<T>(name: string, data: T): Promise<void> {
    const handler = this.handlers.get(name);
    if (!handler) return Promise.reject(new Error(`no handler registered for job ${name}`));
    if (this.closing) return Promise.reject(new Error('the job queue is shutting down'));
    const run = this.attempt(name, handler, data, 1).finally(() => this.running.delete(run));
    this.running.add(run);
    return Promise.resolve();
  }

  schedule(name: string, everyMs: number): Promise<void> {
    const timer = setInterval(() => void this.enqueue(name, {}).catch(() => undefined), everyMs);
    timer.unref();
    this.timers.push(timer);
    return Promise.resolve();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    for (const timer of this.timers) clearInterval(timer);
    await Promise.allSettled([...this.running]);
  }

  private async attempt(name: string, handler: JobHandler, data: unknown, attempt: number): Promise<void> {
    try {
      await handler(data);
    } catch (error) {
      this.logger.warn({ event: 'job_failed', job: name, attempt, err: error });
      if (attempt >= JOB_ATTEMPTS || this.closing) return;
      await new Promise((resolve) => setTimeout(resolve, JOB_BACKOFF_MS * 2 ** (attempt - 1)));
      await this.attempt(name, handler, data, attempt + 1);
    }
  }
}

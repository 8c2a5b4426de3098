export type JobHandler<T = unknown> = (data: T) => Promise<void>;

/**
 * Background jobs. On Redis (REDIS_URL) they go through Bull and are shared by every instance: a job
 * runs once, on whichever instance takes it. Without Redis (development only; refused in production)
 * they run in this process. Handlers are registered by name, the same on every instance.
 */
export interface JobQueue {
  readonly runner: 'bull' | 'in-process';
  register<T>(name: string, handler: JobHandler<T>): void;
  /** Queues one run of `name`. A failing run is retried (3 attempts, exponential backoff). */
  enqueue<T>(name: string, data: T): Promise<void>;
  /** Runs `name` every `everyMs`, once per period across all instances. */
  schedule(name: string, everyMs: number): Promise<void>;
}

export const JOB_QUEUE = Symbol('JOB_QUEUE');
export const JOB_ATTEMPTS = 3;
export const JOB_BACKOFF_MS = 500;

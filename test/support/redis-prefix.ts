import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { runId } from './db';
import { REDIS_URL } from './services';

const TEST_PREFIX = 'alphaswarm-test-';

/**
 * An `ALPHASWARM_JOBS_QUEUE_PREFIX` of this Jest run: the queues, channels and keys of the instances
 * booted with it are apart from every other suite's and every other run's, and globalTeardown deletes
 * what they leave behind (a repeatable job's schedule has no expiry). `label` tells suites apart; a
 * random one by default. At most 64 characters with the label (the variable's limit).
 */
export function runRedisPrefix(label: string = randomUUID()): string {
  return `${TEST_PREFIX}${runId()}-${label}`;
}

/** The prefix of the instances this Jest worker boots unless a suite asks for its own. */
export function workerRedisPrefix(): string {
  return runRedisPrefix(`w${process.env.JEST_WORKER_ID ?? '0'}`);
}

/** Deletes every Redis key under the prefixes of run `id`; returns how many there were. */
export async function deleteRunRedisKeys(id: string): Promise<number> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  let deleted = 0;
  try {
    const batches = redis.scanStream({ match: `${TEST_PREFIX}${id}-*`, count: 1000 });
    for await (const keys of batches as AsyncIterable<string[]>) {
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    }
  } finally {
    redis.disconnect();
  }
  return deleted;
}

import { dropRunDatabases, runId } from './db';
import { deleteRunRedisKeys } from './redis-prefix';

/**
 * Drops this run's databases (scratch databases drop themselves; worker databases live until here) and
 * deletes its Redis keys: every instance a suite boots uses a prefix of the run (`runRedisPrefix`).
 */
export default async function globalTeardown(): Promise<void> {
  await Promise.all([dropRunDatabases(runId()), deleteRunRedisKeys(runId())]);
}

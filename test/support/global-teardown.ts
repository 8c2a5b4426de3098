import { dropRunDatabases, runId } from './db';

/** Drops this run's databases (scratch databases drop themselves; worker databases live until here). */
export default async function globalTeardown(): Promise<void> {
  await dropRunDatabases(runId());
}

import { Client } from 'pg';
import { adminDatabaseUrl, POSTGRES, reachable, REDIS } from './services';

/**
 * The suites talk to the real Postgres and Redis. When either is down, stop at once with one line that
 * says what to start, instead of a wall of connection errors. Then drop the databases of earlier runs.
 */
export default async function globalSetup(): Promise<void> {
  const [postgres, redis] = await Promise.all([
    reachable(POSTGRES.host, POSTGRES.port),
    reachable(REDIS.host, REDIS.port),
  ]);
  if (!postgres || !redis) {
    const missing = [
      ...(postgres ? [] : [`PostgreSQL on ${POSTGRES.host}:${POSTGRES.port}`]),
      ...(redis ? [] : [`Redis on ${REDIS.host}:${REDIS.port}`]),
    ];
    process.stderr.write(
      `\nnpm test: cannot reach ${missing.join(' and ')}: start it first (see README, "Tests").\n`,
    );
    process.exit(1);
  }
  const admin = new Client({ connectionString: adminDatabaseUrl() });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE 'alphaswarm_e2e_%'`,
    );
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

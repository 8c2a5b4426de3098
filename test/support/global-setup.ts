import { randomBytes } from 'node:crypto';
import { POSTGRES, reachable, REDIS } from './services';

/**
 * The suites talk to the real Postgres and Redis. When either is down, stop at once with one line that
 * says what to start, instead of a wall of connection errors. Each run names its databases with its own
 * id (several runs may share this Postgres) and drops them in globalTeardown.
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
  // Workers inherit the environment of the process that ran globalSetup.
  process.env.ALPHASWARM_TEST_RUN = randomBytes(4).toString('hex');
}

import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { TestApp } from '../support/app';
import { runRedisPrefix } from '../support/redis-prefix';

/** A subject no other suite (sharing this worker's database) ever uses. */
export function freshSubject(): string {
  return `auth0|rev-${randomUUID()}`;
}

/**
 * Environment for a group of instances that share one job queue and one revocation channel, and no
 * other suite's: every suite of a worker shares its database, and every worker shares Redis.
 */
export function sharedQueueEnv(): Record<string, string> {
  return { ALPHASWARM_JOBS_QUEUE_PREFIX: runRedisPrefix() };
}

/** Status and reason of GET /auth/whoami with `token`. */
export async function whoami(app: TestApp, token: string): Promise<[number, string | undefined]> {
  const res = await app.http().get('/auth/whoami').set('Authorization', `Bearer ${token}`);
  return [res.status, (res.body as { reason?: string }).reason];
}

/** The ledger rows of one subject's revocations, oldest first. */
export async function revocationLedgerRows(
  app: TestApp,
  sub: string,
): Promise<{ event_type: string; outcome: string; details: Record<string, unknown> }[]> {
  return app.app.get(DataSource).query(
    `SELECT event_type, outcome, details FROM security_audit_events
        WHERE user_id = $1 AND event_type = 'revocation.cleanup_for_user' ORDER BY seq`,
    [sub],
  );
}

/** The stored `revoked_before` of a subject, or undefined. */
export async function storedRevocation(app: TestApp, sub: string): Promise<Date | undefined> {
  const rows = await app.app
    .get(DataSource)
    .query<{ revoked_before: Date }[]>(`SELECT revoked_before FROM token_revocations WHERE subject = $1`, [
      sub,
    ]);
  return rows[0]?.revoked_before;
}

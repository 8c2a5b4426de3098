import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import type { AuditEventInput } from '../src/audit/ledger/audit-event';
import { AuditLedger } from '../src/audit/ledger/audit-ledger';
import { loadConfig } from '../src/config/app-config';
import { openDatabase } from '../src/database/database';
import { TenantDb } from '../src/database/tenant-db';
import { MetricsService } from '../src/observability/metrics.service';
import { SCHEMA } from '../src/schema';

/** Rows per transaction on the decision path (the buffer's batch size). */
const BATCH = 500;

export interface LedgerWriteResult {
  readonly label: string;
  readonly rows: number;
  readonly seconds: number;
  readonly rowsPerSecond: number;
  readonly writers: number;
}

/**
 * Rows per second through `AuditLedger.record` (one row per transaction, the path of a tenancy change
 * recording its event), with `writers` concurrent writers for `seconds`: all on one organization (one
 * chain, so every writer queues on its head row) and spread over 100 organizations; then one
 * organization written in batches of 500 rows per transaction, as the decision buffer writes. Runs in
 * the orchestrator's process against the bench database, with the same pool size as the service.
 */
export async function measureLedgerWrites(
  databaseUrl: string,
  writers: number,
  seconds: number,
): Promise<LedgerWriteResult[]> {
  const config = loadConfig({
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    REDIS_URL: 'redis://127.0.0.1:6379',
    ALPHASWARM_AUTH_PROVIDER: 'oidc',
    ALPHASWARM_AUTH_OIDC_ISSUER: 'https://bench.invalid/',
    ALPHASWARM_AUTH_OIDC_AUDIENCE: 'https://bench.invalid/api',
    ALPHASWARM_DB_MIGRATE: 'false',
    ALPHASWARM_TENANCY_INVITE_SECRET: randomUUID() + randomUUID(),
    ALPHASWARM_CREDENTIALS_KEKS: `bench:${randomBytes(32).toString('base64')}`,
    // Production requires it; this process serves no webhook.
    ALPHASWARM_AUTH0_LOG_STREAM_SECRET: randomBytes(32).toString('hex'),
  });
  const database = await openDatabase(config, SCHEMA);
  try {
    const ledger = new AuditLedger(config, new TenantDb(config, database.dataSource), new MetricsService());
    const oneOrg = randomUUID();
    const hundredOrgs = Array.from({ length: 100 }, () => randomUUID());
    const batchOrg = randomUUID();
    return [
      await run(ledger, `one org (one chain), ${writers} writers`, writers, seconds, () => oneOrg),
      await run(ledger, `100 orgs, ${writers} writers`, writers, seconds, (i) => hundredOrgs[i % 100]),
      await run(
        ledger,
        `one org, batches of ${BATCH} (decision path), 4 writers`,
        4,
        seconds,
        () => batchOrg,
        BATCH,
      ),
    ];
  } finally {
    await database.close();
  }
}

async function run(
  ledger: AuditLedger,
  label: string,
  writers: number,
  seconds: number,
  orgOf: (i: number) => string,
  batch = 1,
): Promise<LedgerWriteResult> {
  const started = process.hrtime.bigint();
  const deadline = Date.now() + seconds * 1000;
  let rows = 0;
  const event = (i: number): AuditEventInput => ({
    eventType: 'bench.write',
    outcome: 'deny',
    orgId: orgOf(i),
    userId: 'auth0|bench',
    reason: 'insufficient_scope',
    route: '/bench/write',
    ip: '127.0.0.1',
    requestId: randomUUID(),
    details: { method: 'GET', actor_type: 'user' },
  });
  const writer = async (w: number): Promise<void> => {
    for (let i = w; Date.now() < deadline; i += writers) {
      if (batch === 1) await ledger.record(event(i));
      else await ledger.recordBatch(Array.from({ length: batch }, () => event(i)));
      rows += batch;
    }
  };
  await Promise.all(Array.from({ length: writers }, (_, w) => writer(w)));
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  return { label, rows, seconds: elapsed, rowsPerSecond: rows / elapsed, writers };
}

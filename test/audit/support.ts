import { Global, Module } from '@nestjs/common';
import { Client } from 'pg';
import { AUDIT_CLOCK, type AuditClock } from '../../src/audit/ledger/audit-clock';
import { AuditLedger } from '../../src/audit/ledger/audit-ledger';
import { AuditVerifier, type VerifyReport } from '../../src/audit/ledger/audit-verifier';
import { TenantDb } from '../../src/database/tenant-db';
import type { TestApp } from '../support/app';

/** A clock the test moves by hand; mounted as a global module it becomes the ledger's clock. */
export class ManualClock implements AuditClock {
  current = new Date();
  now(): Date {
    return new Date(this.current);
  }
  set(date: Date | string): void {
    this.current = new Date(date);
  }
}

export const clock = new ManualClock();

@Global()
@Module({ providers: [{ provide: AUDIT_CLOCK, useValue: clock }], exports: [AUDIT_CLOCK] })
export class ManualClockModule {}

/** A connection to the app's database as the superuser (the owner): what an attacker with the DBA password has. */
export async function superuser(t: TestApp): Promise<Client> {
  const client = new Client({ connectionString: t.config.database.url });
  await client.connect();
  return client;
}

export const ledgerOf = (t: TestApp) => t.app.get(AuditLedger);
export const verify = (t: TestApp, orgId: string | null): Promise<VerifyReport> =>
  new AuditVerifier(t.app.get(TenantDb)).verify({ orgId });

export interface LedgerRow {
  id: string;
  seq: number;
  org_id: string | null;
  user_id: string | null;
  actor_user_id: string | null;
  event_type: string;
  outcome: string;
  reason: string | null;
  route: string | null;
  ip: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
  prev_hash: string;
  hash: string;
  created_at: Date;
}

/** Rows of one organization's chain (null: the chain of events without one), oldest first. */
export async function rowsOf(db: Client, orgId: string | null): Promise<LedgerRow[]> {
  const { rows } = await db.query<LedgerRow>(
    `SELECT id, seq::int AS seq, org_id, user_id, actor_user_id, event_type, outcome, reason, route, ip,
            request_id, details, prev_hash, hash, created_at
       FROM security_audit_events WHERE org_id IS NOT DISTINCT FROM $1 ORDER BY seq`,
    [orgId],
  );
  return rows;
}

/** One sample of Prometheus text (labelled or not); 0 when absent. */
export function metric(metrics: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of metrics.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = (match[2] ?? '').split(',');
    if (wanted.every((pair) => have.includes(pair))) return Number(match[3]);
  }
  return 0;
}

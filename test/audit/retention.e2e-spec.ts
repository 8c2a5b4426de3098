import { randomUUID } from 'node:crypto';
import Bull from 'bull';
import type { Client } from 'pg';
import { AuditRetention, RETENTION_JOB, RETENTION_PERIOD_MS } from '../../src/audit/ledger/audit-retention';
import { TenantDb } from '../../src/database/tenant-db';
import { JOB_QUEUE, type JobQueue } from '../../src/jobs/job-queue';
import { startTestApp, type TestApp } from '../support/app';
import { runRedisPrefix } from '../support/redis-prefix';
import { waitFor } from '../support/wait';
import { REDIS_URL } from '../support/services';
import { clock, ledgerOf, ManualClockModule, metric, rowsOf, superuser, verify } from './support';

const DAY = 86_400_000;
const NOW = new Date('2031-06-01T12:00:00.000Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY);

describe('audit retention (ALPHASWARM_AUTH_AUDIT_RETENTION_DAYS=365)', () => {
  let t: TestApp;
  let db: Client;

  beforeAll(async () => {
    // In-process jobs: the test enqueues the purge itself; the clock is the ledger's, moved by hand.
    t = await startTestApp({ REDIS_URL: '' }, [ManualClockModule]);
    db = await superuser(t);
  });
  afterAll(async () => {
    clock.set(new Date());
    await db.end();
    await t.close();
  });

  const retention = () => t.app.get(AuditRetention);

  async function writeAt(orgId: string, days: number, count: number): Promise<void> {
    clock.set(daysAgo(days));
    for (let i = 0; i < count; i += 1) {
      await ledgerOf(t).record({ eventType: 'test.retention', outcome: 'success', orgId, details: { days } });
    }
  }

  it('purges events older than the retention, checkpoints the chain, and what remains still verifies', async () => {
    const orgId = randomUUID();
    await writeAt(orgId, 400, 3);
    await writeAt(orgId, 366, 1);
    await writeAt(orgId, 100, 2);
    clock.set(NOW);

    const report = await retention().purge();
    expect(report.chains).toContainEqual({ org_id: orgId, purged: 4, checkpoint_seq: '4' });
    expect((await rowsOf(db, orgId)).map((row) => row.seq)).toEqual([5, 6]);
    const { rows: checkpoints } = await db.query(
      `SELECT seq::int AS seq, purged_rows::int AS purged_rows FROM security_audit_checkpoints WHERE org_id = $1`,
      [orgId],
    );
    expect(checkpoints).toEqual([{ seq: 4, purged_rows: 4 }]);
    expect((await verify(t, orgId)).chains[0]).toMatchObject({
      ok: true,
      rows: 2,
      first_seq: '5',
      last_seq: '6',
      checkpoint: { seq: '4' },
    });

    // The chain goes on from where it was, and a later purge with nothing to do changes nothing.
    await ledgerOf(t).record({ eventType: 'test.retention', outcome: 'success', orgId });
    await retention().purge();
    expect((await verify(t, orgId)).chains[0]).toMatchObject({ ok: true, rows: 3, last_seq: '7' });
  });

  it('keeps a young row and everything written after it, even an older one (clocks differ)', async () => {
    const orgId = randomUUID();
    await writeAt(orgId, 500, 1);
    await writeAt(orgId, 10, 1);
    await writeAt(orgId, 500, 1); // written later by an instance whose clock was wrong
    clock.set(NOW);
    await retention().purge();
    expect((await rowsOf(db, orgId)).map((row) => row.seq)).toEqual([2, 3]);
    expect((await verify(t, orgId)).ok).toBe(true);
  });

  it('empties a chain whose rows are all expired, and it still verifies (against its head)', async () => {
    const orgId = randomUUID();
    await writeAt(orgId, 700, 3);
    clock.set(NOW);
    await retention().purge();
    expect(await rowsOf(db, orgId)).toEqual([]);
    expect((await verify(t, orgId)).chains[0]).toMatchObject({ ok: true, rows: 0, checkpoint: { seq: '3' } });
  });

  it('purges a long backlog in batches, one checkpoint each', async () => {
    const orgId = randomUUID();
    clock.set(daysAgo(800));
    await t.app.get(TenantDb).run({ kind: 'org', orgId }, (manager) =>
      ledgerOf(t).appendMany(
        manager,
        Array.from({ length: 6001 }, (_, i) => ({
          eventType: 'test.backlog',
          outcome: 'success' as const,
          orgId,
          details: { i },
        })),
      ),
    );
    await writeAt(orgId, 1, 1);
    clock.set(NOW);
    const before = metric(await t.metrics(), 'alphaswarm_audit_purged_rows_total');
    await retention().purge();
    const { rows } = await db.query(
      `SELECT seq::int AS seq, purged_rows::int AS purged FROM security_audit_checkpoints WHERE org_id = $1 ORDER BY seq`,
      [orgId],
    );
    expect(rows).toEqual([
      { seq: 5000, purged: 5000 },
      { seq: 6001, purged: 1001 },
    ]);
    expect((await verify(t, orgId)).chains[0]).toMatchObject({ ok: true, rows: 1, first_seq: '6002' });
    expect(metric(await t.metrics(), 'alphaswarm_audit_purged_rows_total') - before).toBeGreaterThanOrEqual(
      6001,
    );
  });

  it('still finds tampering after a purge', async () => {
    const orgId = randomUUID();
    await writeAt(orgId, 400, 2);
    await writeAt(orgId, 5, 3);
    clock.set(NOW);
    await retention().purge();
    await db.query(`DELETE FROM security_audit_events WHERE org_id = $1 AND seq = 3`, [orgId]);
    expect((await verify(t, orgId)).chains[0]).toMatchObject({
      ok: false,
      broken: { seq: '4', kind: 'missing_rows' },
    });
  });

  it('runs as the scheduled job through the job queue', async () => {
    const orgId = randomUUID();
    await writeAt(orgId, 999, 2);
    clock.set(NOW);
    await t.app.get<JobQueue>(JOB_QUEUE).enqueue(RETENTION_JOB, {});
    await waitFor(async () => (await rowsOf(db, orgId)).length === 0);
    expect((await verify(t, orgId)).ok).toBe(true);
  });
});

describe('audit retention schedule on Redis', () => {
  const prefix = runRedisPrefix();
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ ALPHASWARM_JOBS_QUEUE_PREFIX: prefix });
  });
  afterAll(() => t.close());

  it('registers one repeatable Bull job, hourly, shared by every instance', async () => {
    const queue = new Bull('jobs', REDIS_URL, { prefix });
    try {
      await waitFor(async () => (await queue.getRepeatableJobs()).length > 0);
      const jobs = await queue.getRepeatableJobs();
      expect(jobs.map(({ name }) => name)).toEqual([RETENTION_JOB]);
      // Bull keeps the period in the repeat key (and `every` empty for jobs with a fixed jobId).
      expect(jobs[0].key.split(':')).toContain(String(RETENTION_PERIOD_MS));
    } finally {
      for (const job of await queue.getRepeatableJobs()) await queue.removeRepeatableByKey(job.key);
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
    }
  });
});

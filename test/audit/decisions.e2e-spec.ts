import { randomUUID } from 'node:crypto';
import { Global, Module } from '@nestjs/common';
import { Client } from 'pg';
import { AUDIT_BUFFER_LIMITS, type AuditBufferLimits } from '../../src/audit/decisions/audit-decision-buffer';
import { startTestApp, type TestApp } from '../support/app';
import { waitFor } from '../support/wait';
import { adminDatabaseUrl } from '../support/services';
import { scratchDatabase } from '../support/db';
import { FixtureModule } from '../support/fixture.module';
import { newKey, TestIssuer } from '../support/issuer';
import { metric, superuser } from './support';

const now = () => Math.floor(Date.now() / 1000);

/** The ledger rows written for one request (found by its request id). */
async function rowsFor(db: Client, requestId: string): Promise<Record<string, unknown>[]> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT org_id, user_id, actor_user_id, event_type, outcome, reason, route, ip, request_id, details
       FROM security_audit_events WHERE request_id = $1`,
    [requestId],
  );
  return rows;
}

async function auditedRow(db: Client, requestId: string): Promise<Record<string, unknown>> {
  await waitFor(async () => (await rowsFor(db, requestId)).length > 0);
  const rows = await rowsFor(db, requestId);
  expect(rows).toHaveLength(1);
  return rows[0];
}

describe('auditing authorization decisions', () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await TestIssuer.start();
  });
  afterAll(() => issuer.stop());

  describe('strict', () => {
    let t: TestApp;
    let db: Client;
    beforeAll(async () => {
      t = await startTestApp({ ...issuer.env(), ALPHASWARM_AUTH_ENFORCE: 'strict' }, [FixtureModule]);
      db = await superuser(t);
    });
    afterAll(async () => {
      await db.end();
      await t.close();
    });

    it('records a deny without a token: reason, route template, request id, ip; no org or user', async () => {
      const requestId = `req-${randomUUID()}`;
      const res = await t.http().get('/fixture/items/42').set('X-Request-Id', requestId);
      expect(res.status).toBe(401);
      expect(await auditedRow(db, requestId)).toEqual({
        org_id: null,
        user_id: null,
        actor_user_id: null,
        event_type: 'authz_decision',
        outcome: 'deny',
        reason: 'missing_token',
        route: '/fixture/items/:id',
        ip: '127.0.0.1',
        request_id: requestId,
        details: { method: 'GET', actor_type: null },
      });
    });

    it('never trusts the claims of a token that did not verify', async () => {
      const orgId = randomUUID();
      const forged = await issuer.token(
        { sub: 'auth0|mallory', 'https://alphaswarm.internal/org_id': orgId },
        { key: await newKey() },
      );
      const requestId = `req-${randomUUID()}`;
      const res = await t
        .http()
        .get('/fixture/portfolio')
        .set('Authorization', `Bearer ${forged}`)
        .set('X-Request-Id', requestId);
      expect(res.status).toBe(401);
      expect(await auditedRow(db, requestId)).toMatchObject({ org_id: null, user_id: null });
    });

    it('records a 403 with the verified caller and their organization', async () => {
      const orgId = randomUUID();
      const token = await issuer.token({
        sub: 'auth0|bob',
        permissions: ['read:strategy'],
        'https://alphaswarm.internal/org_id': orgId,
      });
      const requestId = `req-${randomUUID()}`;
      const res = await t
        .http()
        .get('/fixture/portfolio')
        .set('Authorization', `Bearer ${token}`)
        .set('X-Request-Id', requestId);
      expect([res.status, res.body.reason]).toEqual([403, 'insufficient_scope']);
      expect(await auditedRow(db, requestId)).toMatchObject({
        org_id: orgId,
        user_id: 'auth0|bob',
        outcome: 'deny',
        reason: 'insufficient_scope',
        details: { method: 'GET', actor_type: 'user' },
      });
    });

    it('keeps an organization claim that is not one of ours in details, on the chain without an org', async () => {
      const token = await issuer.token({ sub: 'auth0|carol', org_id: 'org_auth0abc' });
      const requestId = `req-${randomUUID()}`;
      await t
        .http()
        .get('/fixture/portfolio')
        .set('Authorization', `Bearer ${token}`)
        .set('X-Request-Id', requestId);
      expect(await auditedRow(db, requestId)).toMatchObject({
        org_id: null,
        user_id: 'auth0|carol',
        details: { claimed_org: 'org_auth0abc' },
      });
    });

    it('records a step-up that passes and one that fails, as step_up events', async () => {
      const passed = `req-${randomUUID()}`;
      const ok = await t
        .http()
        .get('/fixture/step-up')
        .set('Authorization', `Bearer ${await issuer.token({ amr: ['mfa'], auth_time: now() - 10 })}`)
        .set('X-Request-Id', passed);
      expect(ok.status).toBe(200);
      expect(await auditedRow(db, passed)).toMatchObject({
        event_type: 'step_up',
        outcome: 'success',
        reason: null,
        user_id: 'auth0|alice',
        route: '/fixture/step-up',
      });

      const failed = `req-${randomUUID()}`;
      const refused = await t
        .http()
        .get('/fixture/step-up')
        .set('Authorization', `Bearer ${await issuer.token({ amr: ['pwd'], auth_time: now() - 10 })}`)
        .set('X-Request-Id', failed);
      expect(refused.status).toBe(401);
      expect(await auditedRow(db, failed)).toMatchObject({
        event_type: 'step_up',
        outcome: 'deny',
        reason: 'insufficient_user_authentication',
      });
    });

    it('writes nothing for an allowed request', async () => {
      const requestId = `req-${randomUUID()}`;
      const token = await issuer.token({ permissions: ['read:portfolio'] });
      const res = await t
        .http()
        .get('/fixture/portfolio')
        .set('Authorization', `Bearer ${token}`)
        .set('X-Request-Id', requestId);
      expect(res.status).toBe(200);
      // A later deny: the buffer is first in, first out, so once it is written ours would have been too.
      const later = `req-${randomUUID()}`;
      await t.http().get('/fixture/items/1').set('X-Request-Id', later);
      await auditedRow(db, later);
      expect(await rowsFor(db, requestId)).toEqual([]);
    });
  });

  describe('permissive', () => {
    let t: TestApp;
    let db: Client;
    beforeAll(async () => {
      t = await startTestApp({ ...issuer.env(), ALPHASWARM_AUTH_ENFORCE: 'permissive' }, [FixtureModule]);
      db = await superuser(t);
    });
    afterAll(async () => {
      await db.end();
      await t.close();
    });

    it('records a would-be deny for an anonymous request it served', async () => {
      const requestId = `req-${randomUUID()}`;
      const res = await t.http().get('/fixture/portfolio').set('X-Request-Id', requestId);
      expect(res.status).toBe(200);
      expect(await auditedRow(db, requestId)).toMatchObject({
        outcome: 'would_deny',
        event_type: 'authz_decision',
        reason: 'missing_token',
        route: '/fixture/portfolio',
        org_id: null,
      });
    });

    it('still records a deny for a bad token', async () => {
      const requestId = `req-${randomUUID()}`;
      const res = await t
        .http()
        .get('/fixture/portfolio')
        .set('Authorization', 'Bearer not.a.jwt')
        .set('X-Request-Id', requestId);
      expect(res.status).toBe(401);
      expect(await auditedRow(db, requestId)).toMatchObject({ outcome: 'deny', reason: 'malformed_token' });
    });
  });
});

const tiny: AuditBufferLimits = { capacity: 5, batchSize: 2, flushIntervalMs: 50, attempts: 2 };

@Global()
@Module({ providers: [{ provide: AUDIT_BUFFER_LIMITS, useValue: tiny }], exports: [AUDIT_BUFFER_LIMITS] })
class TinyBufferModule {}

describe('auditing decisions while the database is down', () => {
  let issuer: TestIssuer;
  let scratch: Awaited<ReturnType<typeof scratchDatabase>>;
  let t: TestApp;
  const name = () => new URL(scratch.url).pathname.slice(1);
  const admin = async (sql: string) => {
    const client = new Client({ connectionString: adminDatabaseUrl() });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    scratch = await scratchDatabase();
    t = await startTestApp({ ...issuer.env(), DATABASE_URL: scratch.url }, [FixtureModule, TinyBufferModule]);
    // Take the database away: no new connections, and every open one is cut.
    await admin(`ALTER DATABASE "${name()}" ALLOW_CONNECTIONS false`);
    await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name()}'`);
  });
  afterAll(async () => {
    await admin(`ALTER DATABASE "${name()}" ALLOW_CONNECTIONS true`);
    await t.close();
    await issuer.stop();
    await scratch.drop();
  });

  it('still refuses (401 and 403), counts the failed writes, and drops what no longer fits, counted', async () => {
    const scopeless = await issuer.token({ permissions: [] });
    for (let i = 0; i < 10; i += 1) {
      expect((await t.http().get('/fixture/portfolio')).status).toBe(401);
      const res = await t.http().get('/fixture/portfolio').set('Authorization', `Bearer ${scopeless}`);
      expect([res.status, res.body.reason]).toEqual([403, 'insufficient_scope']);
    }
    await waitFor(async () => {
      const metrics = await t.metrics();
      return (
        metric(metrics, 'alphaswarm_audit_write_failures_total', {}) > 0 &&
        metric(metrics, 'alphaswarm_audit_events_dropped_total', { reason: 'buffer_full' }) > 0
      );
    });
    // Nothing is lost silently: every decision was written, is waiting, or was counted as dropped. A
    // scrape is not atomic (the flush loop may move a batch between two metrics), so the sum is read
    // once the loop has settled, when the retried batches have all failed.
    const accounted = (metrics: string) =>
      metric(metrics, 'alphaswarm_audit_events_dropped_total', { reason: 'buffer_full' }) +
      metric(metrics, 'alphaswarm_audit_events_dropped_total', { reason: 'write_failed' }) +
      metric(metrics, 'alphaswarm_audit_buffer_events', {});
    let last = -1;
    await waitFor(async () => {
      last = accounted(await t.metrics());
      return last === 20;
    }).catch(() => undefined);
    expect(last).toBe(20);
  });
});

describe('shutdown', () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await TestIssuer.start();
  });
  afterAll(() => issuer.stop());

  it('writes the buffered decisions before the app closes', async () => {
    const slow: AuditBufferLimits = { capacity: 100, batchSize: 100, flushIntervalMs: 60_000, attempts: 3 };
    @Global()
    @Module({ providers: [{ provide: AUDIT_BUFFER_LIMITS, useValue: slow }], exports: [AUDIT_BUFFER_LIMITS] })
    class SlowFlushModule {}

    const t = await startTestApp(issuer.env(), [FixtureModule, SlowFlushModule]);
    const db = await superuser(t);
    let open = true;
    try {
      const requestId = `req-${randomUUID()}`;
      expect((await t.http().get('/fixture/portfolio').set('X-Request-Id', requestId)).status).toBe(401);
      // Held in memory, not written: the flush interval is a minute and a flush would empty the gauge.
      await waitFor(async () => /^alphaswarm_audit_buffer_events [1-9]/m.test(await t.metrics()), {
        what: 'the decision waiting in the buffer',
      });
      expect(await rowsFor(db, requestId)).toEqual([]); // not flushed yet: the interval is a minute
      await t.close();
      open = false;
      expect(await rowsFor(db, requestId)).toHaveLength(1);
    } finally {
      await db.end();
      if (open) await t.close();
    }
  });
});

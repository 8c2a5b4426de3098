import { randomUUID } from 'node:crypto';
import type { Client } from 'pg';
import { AuditInputError } from '../../src/audit/ledger/audit-chain';
import { DataSource } from 'typeorm';
import { TenantDb } from '../../src/database/tenant-db';
import { startTestApp, type TestApp } from '../support/app';
import { ledgerOf, rowsOf, superuser, verify } from './support';

describe('AuditLedger (writer and chain)', () => {
  let t: TestApp;
  let db: Client;

  beforeAll(async () => {
    t = await startTestApp();
    db = await superuser(t);
  });
  afterAll(async () => {
    await db.end();
    await t.close();
  });

  const tenantDb = () => t.app.get(TenantDb);

  it('appends inside the caller’s transaction: the row commits with the change it records', async () => {
    const orgId = randomUUID();
    await tenantDb().run({ kind: 'org', orgId }, async (manager) => {
      await ledgerOf(t).append(manager, {
        eventType: 'tenancy.member_removed',
        outcome: 'success',
        orgId,
        userId: 'auth0|admin',
        route: '/tenancy/orgs/:orgId/members/:memberId',
        requestId: 'req-1',
        ip: '10.0.0.1',
        details: { member_id: 'm-1', nested: { b: 2, a: [1, 'x'] } },
      });
    });
    const [row] = await rowsOf(db, orgId);
    expect(row).toMatchObject({
      seq: 1,
      org_id: orgId,
      user_id: 'auth0|admin',
      event_type: 'tenancy.member_removed',
      outcome: 'success',
      route: '/tenancy/orgs/:orgId/members/:memberId',
      request_id: 'req-1',
      ip: '10.0.0.1',
      details: { member_id: 'm-1', nested: { b: 2, a: [1, 'x'] } },
      prev_hash: '0'.repeat(64),
    });
    expect(row.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await verify(t, orgId)).toMatchObject({
      ok: true,
      chains: [{ org_id: orgId, ok: true, rows: 1 }],
    });
  });

  it('writes nothing when the caller’s transaction rolls back', async () => {
    const orgId = randomUUID();
    await expect(
      tenantDb().run({ kind: 'org', orgId }, async (manager) => {
        await ledgerOf(t).append(manager, { eventType: 'tenancy.org_renamed', outcome: 'success', orgId });
        throw new Error('the mutation failed');
      }),
    ).rejects.toThrow('the mutation failed');
    expect(await rowsOf(db, orgId)).toEqual([]);
    // …and the chain did not advance either: the next row is seq 1.
    await ledgerOf(t).record({ eventType: 'tenancy.org_renamed', outcome: 'success', orgId });
    expect((await rowsOf(db, orgId)).map((row) => row.seq)).toEqual([1]);
  });

  it('keeps one valid chain under 200 concurrent writers for one organization', async () => {
    const orgId = randomUUID();
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        ledgerOf(t).record({ eventType: 'test.concurrent', outcome: 'success', orgId, details: { i } }),
      ),
    );
    const rows = await rowsOf(db, orgId);
    expect(rows.map((row) => row.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    for (let i = 1; i < rows.length; i += 1) expect(rows[i].prev_hash).toBe(rows[i - 1].hash);
    expect(new Set(rows.map((row) => row.details.i)).size).toBe(200);
    expect(await verify(t, orgId)).toMatchObject({ ok: true, chains: [{ rows: 200, last_seq: '200' }] });
  });

  it('gives each organization its own chain, and events without one a chain of their own', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const requestId = randomUUID();
    for (const orgId of [a, b, a, null]) {
      await ledgerOf(t).record({ eventType: 'test.chains', outcome: 'success', orgId, requestId });
    }
    expect((await rowsOf(db, a)).map((row) => row.seq)).toEqual([1, 2]);
    expect((await rowsOf(db, b)).map((row) => row.seq)).toEqual([1]);
    const orphan = (await rowsOf(db, null)).filter((row) => row.request_id === requestId);
    expect(orphan).toHaveLength(1);
    expect((await verify(t, null)).ok).toBe(true);
  });

  it('stores what Postgres can hold: NUL and unpaired surrogates become U+FFFD and the row still verifies', async () => {
    const orgId = randomUUID();
    await ledgerOf(t).record({
      eventType: 'test.strings',
      outcome: 'failure',
      orgId,
      reason: 'bad\u0000reason',
      details: { ['k\u0000']: 'lone \ud800 surrogate', n: 0.1 + 0.2, big: 1e21, emoji: '🙂' },
    });
    const [row] = await rowsOf(db, orgId);
    expect(row.reason).toBe('bad\ufffdreason');
    expect(row.details).toEqual({ 'k\ufffd': 'lone \ufffd surrogate', n: 0.1 + 0.2, big: 1e21, emoji: '🙂' });
    expect((await verify(t, orgId)).ok).toBe(true);
  });

  it('stores a batch exactly as given, whatever quotes, backslashes, braces or NULL-like text it holds', async () => {
    const orgId = randomUUID();
    const awkward = [
      '"quoted"',
      'back\\slash',
      '{braces,commas}',
      'NULL',
      '',
      ' ',
      'a"b\\c{d}e,f\'g',
      'é€🙂',
    ];
    const events = awkward.map((text, i) => ({
      eventType: 'test.awkward',
      outcome: 'deny' as const,
      orgId,
      userId: text,
      actorUserId: i % 2 === 0 ? null : `agent|${text}`,
      reason: text,
      route: `/r/${text}`,
      ip: i % 3 === 0 ? undefined : text,
      requestId: text,
      details: { [text]: text, nested: { list: [text, null, i] } },
    }));
    await ledgerOf(t).recordBatch(events);
    const rows = await rowsOf(db, orgId);
    expect(
      rows.map((row) => [row.user_id, row.actor_user_id, row.reason, row.route, row.ip, row.request_id]),
    ).toEqual(
      awkward.map((text, i) => [
        text,
        i % 2 === 0 ? null : `agent|${text}`,
        text,
        `/r/${text}`,
        i % 3 === 0 ? null : text,
        text,
      ]),
    );
    expect(rows.map((row) => row.details)).toEqual(
      awkward.map((text, i) => ({ [text]: text, nested: { list: [text, null, i] } })),
    );
    expect((await verify(t, orgId)).ok).toBe(true);
  });

  it('refuses an invalid event (a bug in the caller) and fails the caller’s transaction', async () => {
    const orgId = randomUUID();
    await expect(ledgerOf(t).record({ eventType: 'Not A Type', outcome: 'success', orgId })).rejects.toThrow(
      AuditInputError,
    );
    await expect(
      ledgerOf(t).record({ eventType: 'test.x', outcome: 'maybe' as never, orgId }),
    ).rejects.toThrow(AuditInputError);
    await expect(
      ledgerOf(t).record({ eventType: 'test.x', outcome: 'success', orgId: 'org_abc' }),
    ).rejects.toThrow(AuditInputError);
    await expect(
      ledgerOf(t).record({
        eventType: 'test.x',
        outcome: 'success',
        orgId,
        details: { blob: 'x'.repeat(20_000) },
      }),
    ).rejects.toThrow(AuditInputError);
    expect(await rowsOf(db, orgId)).toEqual([]);
  });

  it('refuses a manager outside a transaction, where the chain lock would not hold', async () => {
    const orgId = randomUUID();
    await expect(
      ledgerOf(t).append(t.app.get(DataSource).manager, { eventType: 'test.x', outcome: 'success', orgId }),
    ).rejects.toThrow('needs the EntityManager of an open transaction');
    expect(await rowsOf(db, orgId)).toEqual([]);
  });
});

describe('ALPHASWARM_AUTH_AUDIT_ENABLED=false', () => {
  let t: TestApp;
  let db: Client;
  beforeAll(async () => {
    t = await startTestApp({ ALPHASWARM_AUTH_AUDIT_ENABLED: 'false' });
    db = await superuser(t);
  });
  afterAll(async () => {
    await db.end();
    await t.close();
  });

  it('writes nothing, and /auth/config says so', async () => {
    const orgId = randomUUID();
    await ledgerOf(t).record({ eventType: 'test.disabled', outcome: 'success', orgId });
    await t.app
      .get(TenantDb)
      .run({ kind: 'org', orgId }, (manager) =>
        ledgerOf(t).append(manager, { eventType: 'test.disabled', outcome: 'success', orgId }),
      );
    expect(await rowsOf(db, orgId)).toEqual([]);
    const config = await t.http().get('/auth/config');
    expect(config.body.audit).toEqual({ enabled: false, retention_days: 365 });
  });
});

describe('/auth/config with the ledger on (the default)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ ALPHASWARM_AUTH_AUDIT_RETENTION_DAYS: '30' });
  });
  afterAll(() => t.close());

  it('publishes that auditing is on and the retention', async () => {
    expect((await t.http().get('/auth/config')).body.audit).toEqual({ enabled: true, retention_days: 30 });
  });
});

import { randomUUID } from 'node:crypto';
import type { Client } from 'pg';
import type { Response } from 'supertest';
import { MFA_ACR } from '../../src/identity/permissions';
import { startTestApp, type TestApp } from '../support/app';
import { TestIssuer } from '../support/issuer';
import { CLAIMS, Tenants } from '../support/tenancy';
import { ledgerOf, superuser } from './support';
import { TenantDb } from '../../src/database/tenant-db';

const now = () => Math.floor(Date.now() / 1000);
const reasonOf = (res: Response) => [res.status, res.body.reason as string];

interface EventView {
  id: string;
  seq: string;
  event_type: string;
  outcome: string;
  user_id: string | null;
  org_id: string | null;
  created_at: string;
  details: Record<string, unknown>;
  hash: string;
  prev_hash: string;
}

/** Reads a streamed body as text, whatever its content type. */
function text(res: unknown, done: (error: Error | null, body: string) => void): void {
  const stream = res as NodeJS.ReadableStream;
  let body = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => (body += chunk));
  stream.on('end', () => done(null, body));
}

describe('reading the audit ledger', () => {
  let issuer: TestIssuer;
  let t: TestApp;
  let tenants: Tenants;
  let db: Client;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    t = await startTestApp(issuer.env());
    tenants = new Tenants(t);
    db = await superuser(t);
  });
  afterAll(async () => {
    await db.end();
    await t.close();
    await issuer.stop();
  });

  const tokenOf = (sub: string, claims: Record<string, unknown> = {}) => issuer.token({ sub, ...claims });
  const mfa = () => ({ amr: ['mfa'], auth_time: now() - 5 });
  const get = async (path: string, token: string, headers: Record<string, string> = {}) =>
    t.http().get(path).set('Authorization', `Bearer ${token}`).set(headers);

  /** An admin of a fresh organization, and `count` events in that organization's chain. */
  async function orgWithEvents(count: number, role: 'admin' | 'owner' = 'admin') {
    const admin = await tenants.member(role);
    for (let i = 1; i <= count; i += 1) {
      await ledgerOf(t).record({
        eventType: i % 2 === 0 ? 'tenancy.team_created' : 'tenancy.member_removed',
        outcome: i % 3 === 0 ? 'failure' : 'success',
        orgId: admin.orgId,
        userId: i <= 2 ? 'auth0|first' : admin.sub,
        details: { i },
      });
    }
    const token = await tokenOf(admin.sub, { [`${CLAIMS}org_id`]: admin.orgId });
    return { ...admin, token };
  }

  describe('GET /audit/events', () => {
    it('gives an admin their organization’s events, newest first, with the hashes', async () => {
      const a = await orgWithEvents(3);
      const res = await get('/audit/events', a.token);
      expect(res.status).toBe(200);
      expect(res.body.next_cursor).toBeNull();
      const events = res.body.events as EventView[];
      expect(events.map((event) => [event.seq, event.details.i])).toEqual([
        ['3', 3],
        ['2', 2],
        ['1', 1],
      ]);
      expect(events[0]).toMatchObject({
        org_id: a.orgId,
        event_type: 'tenancy.member_removed',
        outcome: 'failure',
      });
      expect(events[0].prev_hash).toBe(events[1].hash);
      expect(events[0].created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    });

    it('takes the organization from the X-AlphaSwarm-Org header too, for owners as for admins', async () => {
      const a = await orgWithEvents(1, 'owner');
      const res = await get('/audit/events', await tokenOf(a.sub), { 'X-AlphaSwarm-Org': a.orgId });
      expect([res.status, res.body.events.length]).toEqual([200, 1]);
    });

    it('filters by event type, outcome, user and time', async () => {
      const a = await orgWithEvents(6);
      const seqs = async (query: string) =>
        ((await get(`/audit/events?${query}`, a.token)).body.events as EventView[]).map((event) => event.seq);
      expect(await seqs('event_type=tenancy.team_created')).toEqual(['6', '4', '2']);
      expect(await seqs('outcome=failure')).toEqual(['6', '3']);
      expect(await seqs('user=auth0%7Cfirst')).toEqual(['2', '1']);
      expect(await seqs('event_type=tenancy.team_created&outcome=failure')).toEqual(['6']);

      const all = (await get('/audit/events?order=asc', a.token)).body.events as EventView[];
      const from = encodeURIComponent(all[2].created_at);
      const to = encodeURIComponent(all[4].created_at);
      expect(await seqs(`from=${from}&to=${to}`)).toEqual(['4', '3']);
      expect(await seqs('from=2999-01-01')).toEqual([]);
    });

    it('pages with an opaque cursor that neither skips nor repeats rows while others are inserted', async () => {
      const a = await orgWithEvents(7);
      const first = await get('/audit/events?limit=3', a.token);
      expect((first.body.events as EventView[]).map((event) => event.seq)).toEqual(['7', '6', '5']);
      expect(first.body.next_cursor).toMatch(/^[A-Za-z0-9_-]+$/);

      // Newer rows arrive between two pages…
      await Promise.all(
        [1, 2, 3].map(() =>
          ledgerOf(t).record({ eventType: 'test.late', outcome: 'success', orgId: a.orgId }),
        ),
      );
      const seen = (first.body.events as EventView[]).map((event) => event.seq);
      let cursor = first.body.next_cursor as string | null;
      while (cursor) {
        const page = await get(`/audit/events?limit=3&cursor=${cursor}`, a.token);
        seen.push(...(page.body.events as EventView[]).map((event) => event.seq));
        cursor = page.body.next_cursor as string | null;
      }
      // …and the walk back in time still sees each older row exactly once.
      expect(seen).toEqual(['7', '6', '5', '4', '3', '2', '1']);

      // Forward, the same cursor walk picks up the rows inserted meanwhile, in order.
      const forward: string[] = [];
      cursor = '';
      do {
        const page = await get(
          `/audit/events?order=asc&limit=4${cursor ? `&cursor=${cursor}` : ''}`,
          a.token,
        );
        forward.push(...(page.body.events as EventView[]).map((event) => event.seq));
        cursor = page.body.next_cursor as string | null;
      } while (cursor);
      expect(forward).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
    });

    it('gives an admin of org A nothing of org B', async () => {
      const a = await orgWithEvents(1);
      const b = await orgWithEvents(2);
      // Naming B while the token says A…
      expect(reasonOf(await get('/audit/events', a.token, { 'X-AlphaSwarm-Org': b.orgId }))).toEqual([
        403,
        'org_mismatch',
      ]);
      // …or naming B with a token that names no organization.
      expect(
        reasonOf(await get('/audit/events', await tokenOf(a.sub), { 'X-AlphaSwarm-Org': b.orgId })),
      ).toEqual([403, 'org_forbidden']);
      // A's own list holds only A's rows (its event, and maybe by now the refusals just recorded).
      const own = (await get('/audit/events', a.token)).body.events as EventView[];
      expect(own.map((event) => event.org_id)).toEqual(own.map(() => a.orgId));
      expect(own.map((event) => event.event_type)).toContain('tenancy.member_removed');
    });

    it('refuses a member who is not an admin, and a token naming no organization', async () => {
      const viewer = await tenants.member('member');
      const token = await tokenOf(viewer.sub, { [`${CLAIMS}org_id`]: viewer.orgId });
      expect(reasonOf(await get('/audit/events', token))).toEqual([403, 'org_forbidden']);
      expect(reasonOf(await get('/audit/events', await tokenOf(viewer.sub)))).toEqual([403, 'org_forbidden']);
    });

    it('lets a cluster admin read any organization', async () => {
      const a = await orgWithEvents(2);
      const operator = await tokenOf('auth0|operator', { permissions: ['admin:cluster'] });
      const res = await get('/audit/events', operator, { 'X-AlphaSwarm-Org': a.orgId });
      expect([res.status, res.body.events.length]).toEqual([200, 2]);
    });

    it('refuses bad input with 400 and a reason, never a 500', async () => {
      const a = await orgWithEvents(2);
      const cursor = (await get('/audit/events?limit=1', a.token)).body.next_cursor as string;
      const bad = [
        'limit=0',
        'limit=501',
        'limit=ten',
        'outcome=maybe',
        'outcome=success&outcome=failure',
        'event_type=DROP%20TABLE',
        `event_type=${'a'.repeat(65)}`,
        `user=${'u'.repeat(257)}`,
        'from=yesterday',
        'to=2025-13-45',
        'from=2030-01-01&to=2020-01-01',
        'order=sideways',
        'cursor=not*base64',
        `cursor=${Buffer.from('{"s":"1; DROP TABLE x","o":"desc"}').toString('base64url')}`,
        `cursor=${Buffer.from('{"s":"99999999999999999999","o":"desc"}').toString('base64url')}`,
        `cursor=${Buffer.from('[]').toString('base64url')}`,
        `order=asc&cursor=${cursor}`,
        'org=00000000-0000-4000-8000-000000000001',
        'unknown=1',
      ];
      for (const query of bad) {
        const res = await get(`/audit/events?${query}`, a.token);
        expect([query, ...reasonOf(res)]).toEqual([query, 400, 'invalid_request']);
        expect(res.body.error_description).toEqual(expect.any(String));
      }
      const header = await get('/audit/events', a.token, { 'X-AlphaSwarm-Org': 'acme' });
      expect(reasonOf(header)).toEqual([400, 'invalid_request']);
    });

    it('points an NDJSON request to the export instead of answering JSON to it', async () => {
      const a = await orgWithEvents(1);
      const res = await get('/audit/events', a.token, { Accept: 'application/x-ndjson' });
      expect(reasonOf(res)).toEqual([406, 'not_acceptable']);
      expect(res.body.error_description).toContain('/audit/events/export');
    });
  });

  describe('GET /audit/events/export (NDJSON)', () => {
    it('demands a recent MFA, with an RFC 9470 challenge', async () => {
      const a = await orgWithEvents(1);
      const res = await get('/audit/events/export', a.token, { Accept: 'application/x-ndjson' });
      expect(reasonOf(res)).toEqual([401, 'insufficient_user_authentication']);
      expect(res.headers['www-authenticate']).toContain(`acr_values="${MFA_ACR}"`);
    });

    it('still needs the admin role after a step-up', async () => {
      const member = await tenants.member('member');
      const token = await tokenOf(member.sub, { [`${CLAIMS}org_id`]: member.orgId, ...mfa() });
      expect(reasonOf(await get('/audit/events/export', token))).toEqual([403, 'org_forbidden']);
    });

    it('streams the matching events as NDJSON, and records the export in the ledger', async () => {
      const a = await orgWithEvents(4);
      const token = await tokenOf(a.sub, { [`${CLAIMS}org_id`]: a.orgId, ...mfa() });
      const res = await t
        .http()
        .get('/audit/events/export?event_type=tenancy.team_created&order=asc')
        .set('Authorization', `Bearer ${token}`)
        .set('Accept', 'application/x-ndjson')
        .buffer(true)
        .parse(text);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
      const lines = (res.body as string).trimEnd().split('\n');
      expect(lines.map((line) => (JSON.parse(line) as EventView).seq)).toEqual(['2', '4']);

      const { rows } = await db.query(
        `SELECT user_id, route, details FROM security_audit_events WHERE org_id = $1 AND event_type = 'audit.export'`,
        [a.orgId],
      );
      expect(rows).toEqual([
        {
          user_id: a.sub,
          route: '/audit/events/export',
          details: { filters: { event_type: 'tenancy.team_created', order: 'asc' } },
        },
      ]);
    });

    it('streams a long export page by page, as it was when the export began', async () => {
      const admin = await tenants.member('admin');
      await t.app.get(TenantDb).run({ kind: 'org', orgId: admin.orgId }, (manager) =>
        ledgerOf(t).appendMany(
          manager,
          Array.from({ length: 1203 }, (_, i) => ({
            eventType: 'test.bulk',
            outcome: 'success' as const,
            orgId: admin.orgId,
            details: { i },
          })),
        ),
      );
      const token = await tokenOf(admin.sub, { [`${CLAIMS}org_id`]: admin.orgId, ...mfa() });
      const res = await t
        .http()
        .get('/audit/events/export')
        .set('Authorization', `Bearer ${token}`)
        .buffer(true)
        .parse(text);
      expect(res.status).toBe(200);
      expect(res.headers['transfer-encoding']).toBe('chunked');
      const seqs = (res.body as string)
        .trimEnd()
        .split('\n')
        .map((line) => Number((JSON.parse(line) as EventView).seq));
      // Every row up to the chain head when the export began, newest first: the 1,203 above, plus the
      // step-up audit row of this very request when its buffered write landed first. The export's own
      // row came after it began and is not in it.
      const [exportRow] = await t.app
        .get(TenantDb)
        .run({ kind: 'org', orgId: admin.orgId }, (manager) =>
          manager.query<{ seq: string }[]>(
            `SELECT seq::text AS seq FROM security_audit_events WHERE org_id = $1 AND event_type = 'audit.export'`,
            [admin.orgId],
          ),
        );
      expect(seqs.length).toBeGreaterThanOrEqual(1203);
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => seqs.length - i));
      expect(seqs[0]).toBeLessThan(Number(exportRow.seq));
    });
  });

  describe('GET /audit/verify', () => {
    it('verifies the organization’s chain, and names the first broken row', async () => {
      const a = await orgWithEvents(3);
      expect((await get('/audit/verify', a.token)).body).toEqual({
        ok: true,
        chains: [{ org_id: a.orgId, ok: true, rows: 3, first_seq: '1', last_seq: '3', checkpoint: null }],
      });
      const { rows } = await db.query<{ id: string }>(
        `SELECT id FROM security_audit_events WHERE org_id = $1 AND seq = 2`,
        [a.orgId],
      );
      await db.query(`UPDATE security_audit_events SET details = '{"i": 99}' WHERE id = $1`, [rows[0].id]);
      const res = await get('/audit/verify', a.token);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        ok: false,
        chains: [{ ok: false, broken: { id: rows[0].id, seq: '2', kind: 'hash_mismatch' } }],
      });
    });

    it('is for admins only', async () => {
      const member = await tenants.member('viewer');
      const token = await tokenOf(member.sub, { [`${CLAIMS}org_id`]: member.orgId });
      expect(reasonOf(await get('/audit/verify', token))).toEqual([403, 'org_forbidden']);
    });

    it('verifies every chain for a cluster admin at /audit/verify/all, and for nobody else', async () => {
      const a = await orgWithEvents(1);
      expect(reasonOf(await get('/audit/verify/all', a.token))).toEqual([403, 'insufficient_scope']);
      const operator = await tokenOf('auth0|operator', { permissions: ['admin:cluster'] });
      const res = await get('/audit/verify/all', operator);
      expect(res.status).toBe(200);
      const chains = res.body.chains as { org_id: string | null }[];
      expect(chains.some((chain) => chain.org_id === a.orgId)).toBe(true);
    });
  });
});

describe('reading the audit ledger under permissive mode and strict row-level security', () => {
  let issuer: TestIssuer;
  let t: TestApp;
  let tenants: Tenants;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    t = await startTestApp({
      ...issuer.env(),
      ALPHASWARM_AUTH_ENFORCE: 'permissive',
      ALPHASWARM_TENANCY_RLS_ENFORCE: 'strict',
    });
    tenants = new Tenants(t);
  });
  afterAll(async () => {
    await t.close();
    await issuer.stop();
  });

  it('never serves an anonymous caller', async () => {
    for (const path of ['/audit/events', '/audit/events/export', '/audit/verify', '/audit/verify/all']) {
      const res = await t.http().get(path).set('X-AlphaSwarm-Org', randomUUID());
      expect([path, ...reasonOf(res)]).toEqual([path, 401, 'missing_token']);
    }
  });

  it('appends from org-, user- and system-scoped transactions, and reads and verifies under strict RLS', async () => {
    const admin = await tenants.member('admin');
    const tenantDb = t.app.get(TenantDb);
    await tenantDb.run({ kind: 'org', orgId: admin.orgId }, (manager) =>
      ledgerOf(t).append(manager, { eventType: 'test.org_scope', outcome: 'success', orgId: admin.orgId }),
    );
    await tenantDb.run({ kind: 'user', userId: admin.id }, (manager) =>
      ledgerOf(t).append(manager, { eventType: 'test.user_scope', outcome: 'success', orgId: admin.orgId }),
    );
    // An org-scoped transaction cannot write into another organization's chain.
    await expect(
      tenantDb.run({ kind: 'org', orgId: randomUUID() }, (manager) =>
        ledgerOf(t).append(manager, { eventType: 'test.cross', outcome: 'success', orgId: admin.orgId }),
      ),
    ).rejects.toThrow('row-level security');

    const token = await issuer.token({ sub: admin.sub, [`${CLAIMS}org_id`]: admin.orgId });
    const res = await t.http().get('/audit/events').set('Authorization', `Bearer ${token}`);
    expect((res.body.events as EventView[]).map((event) => event.event_type)).toEqual([
      'test.user_scope',
      'test.org_scope',
    ]);
    const verified = await t.http().get('/audit/verify').set('Authorization', `Bearer ${token}`);
    expect(verified.body).toMatchObject({ ok: true, chains: [{ rows: 2 }] });
  });
});

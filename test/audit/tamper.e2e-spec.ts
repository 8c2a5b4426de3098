import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Client } from 'pg';
import { hashOf, TIMESTAMP_SQL } from '../../src/audit/ledger/audit-chain';
import type { VerifyReport } from '../../src/audit/ledger/audit-verifier';
import { startTestApp, type TestApp } from '../support/app';
import { scratchDatabase } from '../support/db';
import { ROOT, runToExit } from '../support/process';
import { ledgerOf, rowsOf, superuser, verify } from './support';

const CLI = join(ROOT, 'dist', 'scripts', 'audit-verify.js');

describe('the ledger is append-only and tamper-evident', () => {
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

  /** A fresh organization's chain of `count` rows; returns its id and rows. */
  async function chainOf(count: number) {
    const orgId = randomUUID();
    for (let i = 1; i <= count; i += 1) {
      await ledgerOf(t).record({ eventType: 'test.tamper', outcome: 'success', orgId, details: { i } });
    }
    return { orgId, rows: await rowsOf(db, orgId) };
  }

  /** Runs `sql` in a transaction as `role`, as every transaction of the service does. */
  async function asRole(role: string, sql: string, params: unknown[] = []): Promise<unknown> {
    await db.query('BEGIN');
    try {
      await db.query(`SELECT set_config('role', $1, true), set_config('alphaswarm.scope', 'system', true)`, [
        role,
      ]);
      return await db.query(sql, params);
    } finally {
      await db.query('ROLLBACK');
    }
  }

  describe('grants', () => {
    it('refuses UPDATE and DELETE to the role the service runs as, and lets it INSERT and SELECT', async () => {
      const { rows } = await chainOf(1);
      await expect(
        asRole('alphaswarm_app', `UPDATE security_audit_events SET reason = 'covered up' WHERE id = $1`, [
          rows[0].id,
        ]),
      ).rejects.toThrow('permission denied for table security_audit_events');
      await expect(
        asRole('alphaswarm_app', `DELETE FROM security_audit_events WHERE id = $1`, [rows[0].id]),
      ).rejects.toThrow('permission denied for table security_audit_events');
      await expect(asRole('alphaswarm_app', `TRUNCATE security_audit_events`)).rejects.toThrow(
        'permission denied for table security_audit_events',
      );
      await expect(
        asRole('alphaswarm_app', `SELECT count(*) FROM security_audit_events WHERE id = $1`, [rows[0].id]),
      ).resolves.toMatchObject({ rows: [{ count: '1' }] });
    });

    it('refuses the service role any write to the retention checkpoints', async () => {
      await expect(
        asRole(
          'alphaswarm_app',
          `INSERT INTO security_audit_checkpoints (chain_id, org_id, seq, hash, purged_rows, created_at)
           VALUES (gen_random_uuid(), NULL, 1, repeat('0', 64), 1, now())`,
        ),
      ).rejects.toThrow('permission denied for table security_audit_checkpoints');
    });

    it('lets only the maintenance role DELETE, and not even it UPDATE', async () => {
      const { rows } = await chainOf(1);
      await expect(
        asRole('alphaswarm_audit_maintenance', `DELETE FROM security_audit_events WHERE id = $1`, [
          rows[0].id,
        ]),
      ).resolves.toMatchObject({ rowCount: 1 });
      await expect(
        asRole(
          'alphaswarm_audit_maintenance',
          `UPDATE security_audit_events SET reason = 'x' WHERE id = $1`,
          [rows[0].id],
        ),
      ).rejects.toThrow('permission denied for table security_audit_events');
      await expect(
        asRole(
          'alphaswarm_audit_maintenance',
          `INSERT INTO security_audit_events (id, seq, created_at, event_type, outcome, details, prev_hash, hash)
           VALUES (gen_random_uuid(), 1, now(), 'x', 'success', '{}', repeat('0', 64), repeat('0', 64))`,
        ),
      ).rejects.toThrow('permission denied for table security_audit_events');
    });

    it('keeps organizations apart under row-level security when a transaction is scoped to one', async () => {
      const a = await chainOf(1);
      const b = await chainOf(1);
      await db.query('BEGIN');
      try {
        await db.query(
          `SELECT set_config('role', 'alphaswarm_app', true), set_config('alphaswarm.scope', '', true),
                  set_config('alphaswarm.org_id', $1, true)`,
          [a.orgId],
        );
        const { rows } = await db.query(`SELECT org_id FROM security_audit_events WHERE org_id IN ($1, $2)`, [
          a.orgId,
          b.orgId,
        ]);
        expect(rows).toEqual([{ org_id: a.orgId }]);
      } finally {
        await db.query('ROLLBACK');
      }
    });
  });

  describe('verification', () => {
    it('reports an untouched chain as ok', async () => {
      const { orgId } = await chainOf(5);
      expect(await verify(t, orgId)).toEqual({
        ok: true,
        chains: [{ org_id: orgId, ok: true, rows: 5, first_seq: '1', last_seq: '5', checkpoint: null }],
      });
    });

    it('finds a row altered by the database owner, at that row', async () => {
      const { orgId, rows } = await chainOf(5);
      await db.query(`UPDATE security_audit_events SET reason = 'nothing to see' WHERE id = $1`, [
        rows[2].id,
      ]);
      expect((await verify(t, orgId)).chains[0]).toMatchObject({
        ok: false,
        rows: 2,
        broken: { id: rows[2].id, seq: '3', kind: 'hash_mismatch' },
      });
    });

    it('finds a row altered by a microsecond', async () => {
      const { orgId, rows } = await chainOf(3);
      await db.query(
        `UPDATE security_audit_events SET created_at = created_at + interval '1 microsecond' WHERE id = $1`,
        [rows[1].id],
      );
      expect((await verify(t, orgId)).chains[0].broken).toMatchObject({ seq: '2', kind: 'hash_mismatch' });
    });

    it('finds a row whose hash was recomputed to cover an edit: the next row no longer links to it', async () => {
      const { orgId, rows } = await chainOf(4);
      const {
        rows: [stored],
      } = await db.query(
        `SELECT id, seq::text AS seq, ${TIMESTAMP_SQL} AS created_at, org_id, user_id, actor_user_id, event_type,
                outcome, reason, route, ip, request_id, details, prev_hash FROM security_audit_events WHERE id = $1`,
        [rows[1].id],
      );
      const forged = { ...stored, reason: 'nothing to see' };
      await db.query(`UPDATE security_audit_events SET reason = $2, hash = $3 WHERE id = $1`, [
        rows[1].id,
        forged.reason,
        hashOf(forged),
      ]);
      expect((await verify(t, orgId)).chains[0]).toMatchObject({
        rows: 2,
        broken: { id: rows[2].id, seq: '3', kind: 'prev_hash_mismatch' },
      });
    });

    it('finds a row deleted from the middle, at the row after the gap', async () => {
      const { orgId, rows } = await chainOf(5);
      await db.query(`DELETE FROM security_audit_events WHERE id = $1`, [rows[2].id]);
      expect((await verify(t, orgId)).chains[0]).toMatchObject({
        ok: false,
        broken: {
          id: rows[3].id,
          seq: '4',
          kind: 'missing_rows',
          description: 'row 3 is missing before this row',
        },
      });
    });

    it('finds rows deleted from the end: the chain head remembers', async () => {
      const { orgId } = await chainOf(5);
      await db.query(`DELETE FROM security_audit_events WHERE org_id = $1 AND seq >= 4`, [orgId]);
      expect((await verify(t, orgId)).chains[0]).toMatchObject({
        ok: false,
        broken: { kind: 'head_mismatch', seq: '3' },
      });
    });

    it('finds a row moved to another organization', async () => {
      const { rows } = await chainOf(2);
      const other = randomUUID();
      await db.query(`UPDATE security_audit_events SET org_id = $2 WHERE id = $1`, [rows[1].id, other]);
      expect((await verify(t, other)).ok).toBe(false);
    });
  });

  describe('npm run audit:verify', () => {
    const env = () => ({ DATABASE_URL: t.config.database.url as string, ALPHASWARM_LOG_LEVEL: 'silent' });

    it('prints ok and exits 0 for an intact chain', async () => {
      const { orgId } = await chainOf(3);
      const run = await runToExit(env(), { script: CLI, args: ['--org', orgId] });
      expect([run.code, run.stdout]).toEqual([
        0,
        `chain ${orgId}: ok, 3 rows (seq 1..3)\naudit ledger: 1 chain(s) verified, all ok\n`,
      ]);
    });

    it('names the first broken row and exits 1', async () => {
      const { orgId, rows } = await chainOf(3);
      await db.query(`UPDATE security_audit_events SET outcome = 'failure' WHERE id = $1`, [rows[1].id]);
      const run = await runToExit(env(), { script: CLI, args: ['--org', orgId] });
      expect(run.code).toBe(1);
      expect(run.stdout).toContain(
        `chain ${orgId}: BROKEN at row ${rows[1].id} (seq 2): hash_mismatch: the row was altered after it was written`,
      );
    });

    it('verifies every chain without --org, and reports the broken ones', async () => {
      const { orgId, rows } = await chainOf(2);
      await db.query(`DELETE FROM security_audit_events WHERE id = $1`, [rows[0].id]);
      const run = await runToExit(env(), { script: CLI, args: ['--json'] });
      expect([run.code, run.stderr]).toEqual([1, '']);
      const report = JSON.parse(run.stdout) as VerifyReport;
      expect(report.chains.length).toBeGreaterThan(3);
      expect(report.chains.find((chain) => chain.org_id === orgId)).toMatchObject({
        ok: false,
        broken: { kind: 'missing_rows', seq: '2' },
      });
    });

    it('refuses a malformed --org with exit 2 and the usage', async () => {
      const run = await runToExit(env(), { script: CLI, args: ['--org', 'acme'] });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('--org must be an organization UUID');
    });

    it('says so when the database has no ledger yet', async () => {
      const empty = await scratchDatabase();
      try {
        const run = await runToExit({ DATABASE_URL: empty.url }, { script: CLI });
        expect([run.code, run.stderr.trim()]).toEqual([
          2,
          'npm run audit:verify: this database has no audit ledger yet; start the service once (it runs the migrations)',
        ]);
      } finally {
        await empty.drop();
      }
    });
  });
});

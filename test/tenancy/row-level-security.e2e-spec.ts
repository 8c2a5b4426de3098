import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { loadConfig } from '../../src/config/app-config';
import { openDatabase } from '../../src/database/database';
import { APP_ROLE, SYSTEM_SCOPE, TenantDb } from '../../src/database/tenant-db';
import { SCHEMA } from '../../src/schema';
import { workerDatabaseUrl } from '../support/db';

/**
 * Row-level security proven with queries that deliberately forget their tenant filter, against the
 * real Postgres and against the embedded database, under `strict` and under `off`.
 */
interface Fixture {
  orgA: string;
  orgB: string;
  workspaceA1: string;
  workspaceA2: string;
  projectA1: string;
  projectA2: string;
  projectB: string;
}

async function seed(db: TenantDb): Promise<Fixture> {
  return db.run(SYSTEM_SCOPE, async (tx) => {
    const insert = async (sql: string, params: unknown[]) =>
      (await tx.query<{ id: string }[]>(sql, params))[0].id;
    const org = (name: string) =>
      insert(`INSERT INTO organizations (kind, name) VALUES ('personal', $1) RETURNING id`, [name]);
    const orgA = await org(`rls A ${Math.random()}`);
    const orgB = await org(`rls B ${Math.random()}`);
    const workspace = (orgId: string, name: string) =>
      insert(`INSERT INTO workspaces (org_id, name) VALUES ($1, $2) RETURNING id`, [orgId, name]);
    const [workspaceA1, workspaceA2, workspaceB] = [
      await workspace(orgA, 'a1'),
      await workspace(orgA, 'a2'),
      await workspace(orgB, 'b'),
    ];
    const project = (orgId: string, workspaceId: string) =>
      insert(`INSERT INTO projects (org_id, workspace_id, name) VALUES ($1, $2, 'p') RETURNING id`, [
        orgId,
        workspaceId,
      ]);
    for (const [orgId, name] of [
      [orgA, 'team a'],
      [orgB, 'team b'],
    ]) {
      await tx.query(`INSERT INTO teams (org_id, name) VALUES ($1, $2)`, [orgId, name]);
    }
    return {
      orgA,
      orgB,
      workspaceA1,
      workspaceA2,
      projectA1: await project(orgA, workspaceA1),
      projectA2: await project(orgA, workspaceA2),
      projectB: await project(orgB, workspaceB),
    };
  });
}

const ids = (rows: { id: string }[]) => rows.map((row) => row.id).sort();

/** The assertions, for any database the service can run on. */
function strictIsolation(open: () => Promise<{ tenantDb: TenantDb; close: () => Promise<void> }>) {
  let opening: ReturnType<typeof open> | undefined;
  let tenantDb: TenantDb;
  let f: Fixture;

  beforeAll(async () => {
    opening = open();
    ({ tenantDb } = await opening);
    f = await seed(tenantDb);
  });
  // A beforeAll that times out (the embedded database under a loaded machine) leaves open() running;
  // waiting for it here closes what it opens, instead of leaving a listening server that keeps the
  // Jest worker from exiting.
  afterAll(async () => {
    const opened = await opening?.catch(() => undefined);
    await opened?.close();
  });

  it('an unfiltered query returns only the caller organization’s rows', async () => {
    const seen = await tenantDb.run({ kind: 'org', orgId: f.orgA }, async (db) => ({
      orgs: await db.query<{ id: string }[]>(`SELECT id FROM organizations`),
      teamOrgs: await db.query<{ org_id: string }[]>(`SELECT DISTINCT org_id FROM teams`),
      projects: await db.query<{ id: string }[]>(`SELECT id FROM projects`),
    }));
    expect(ids(seen.orgs)).toEqual([f.orgA]);
    expect(seen.teamOrgs).toEqual([{ org_id: f.orgA }]);
    expect(ids(seen.projects)).toEqual([f.projectA1, f.projectA2].sort());
  });

  it('a fetch of another workspace’s project by id returns zero rows', async () => {
    const rows = await tenantDb.run({ kind: 'org', orgId: f.orgA, workspaceId: f.workspaceA1 }, (db) =>
      db.query<{ id: string }[]>(`SELECT id FROM projects WHERE id = ANY($1::uuid[])`, [
        [f.projectA1, f.projectA2, f.projectB],
      ]),
    );
    expect(ids(rows)).toEqual([f.projectA1]);
  });

  it('an unfiltered update or delete touches only the caller’s rows', async () => {
    await tenantDb.run({ kind: 'org', orgId: f.orgB }, async (db) => {
      await db.query(`UPDATE teams SET name = name || ' (touched)'`);
      await db.query(`DELETE FROM projects`);
    });
    const everything = await tenantDb.run(SYSTEM_SCOPE, (db) =>
      db.query<{ org_id: string; name: string }[]>(
        `SELECT org_id, name FROM teams WHERE org_id = ANY($1::uuid[])`,
        [[f.orgA, f.orgB]],
      ),
    );
    expect(everything.find((team) => team.org_id === f.orgA)?.name).toBe('team a');
    expect(everything.find((team) => team.org_id === f.orgB)?.name).toBe('team b (touched)');
    const left = await tenantDb.run({ kind: 'org', orgId: f.orgA }, (db) =>
      db.query<{ id: string }[]>(`SELECT id FROM projects`),
    );
    expect(left).toHaveLength(2);
  });

  it('refuses to write a row into another organization', async () => {
    await expect(
      tenantDb.run({ kind: 'org', orgId: f.orgA }, (db) =>
        db.query(`INSERT INTO teams (org_id, name) VALUES ($1, 'planted')`, [f.orgB]),
      ),
    ).rejects.toThrow(/row-level security/);
  });

  it('a user sees their own memberships and organizations, nobody else’s', async () => {
    const { userId, orgIds } = await tenantDb.run(SYSTEM_SCOPE, async (db) => {
      const [user] = await db.query<{ id: string }[]>(`INSERT INTO users (sub) VALUES ($1) RETURNING id`, [
        `auth0|rls-${Math.random()}`,
      ]);
      await db.query(
        `INSERT INTO memberships (user_id, org_id, scope_kind, scope_id, role, source) VALUES ($1, $2, 'organization', $2, 'viewer', 'manual')`,
        [user.id, f.orgA],
      );
      return { userId: user.id, orgIds: [f.orgA] };
    });
    const seen = await tenantDb.run({ kind: 'user', userId }, async (db) => ({
      orgs: await db.query<{ id: string }[]>(`SELECT id FROM organizations`),
      memberships: await db.query<{ user_id: string }[]>(`SELECT DISTINCT user_id FROM memberships`),
      teams: await db.query<unknown[]>(`SELECT id FROM teams`),
    }));
    expect(ids(seen.orgs)).toEqual(orgIds);
    expect(seen.memberships).toEqual([{ user_id: userId }]);
    expect(seen.teams).toEqual([]);
  });
}

describe('row-level security (ALPHASWARM_TENANCY_RLS_ENFORCE=strict)', () => {
  describe('on Postgres', () => {
    strictIsolation(async () => {
      const config = loadConfig({
        NODE_ENV: 'test',
        DATABASE_URL: await workerDatabaseUrl(),
        ALPHASWARM_TENANCY_RLS_ENFORCE: 'strict',
      });
      const database = await openDatabase(config, SCHEMA);
      return { tenantDb: new TenantDb(config, database.dataSource), close: () => database.close() };
    });

    it('a transaction that names no tenant sees no rows at all (fail closed)', async () => {
      const url = await workerDatabaseUrl();
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        await client.query('BEGIN');
        await client.query(`SET LOCAL ROLE ${APP_ROLE}`);
        const counts = await client.query<{ n: string }>(
          `SELECT count(*) AS n FROM organizations UNION ALL SELECT count(*) FROM teams UNION ALL SELECT count(*) FROM memberships`,
        );
        expect(counts.rows.map((row) => Number(row.n))).toEqual([0, 0, 0]);
        await client.query('ROLLBACK');
        const role = await client.query<{ rolsuper: boolean; rolbypassrls: boolean }>(
          `SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1`,
          [APP_ROLE],
        );
        expect(role.rows).toEqual([{ rolsuper: false, rolbypassrls: false }]);
      } finally {
        await client.end();
      }
    });
  });

  describe('on the embedded database', () => {
    strictIsolation(async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'alphaswarm-rls-'));
      const config = loadConfig({
        NODE_ENV: 'test',
        ALPHASWARM_DATA_DIR: dataDir,
        ALPHASWARM_TENANCY_RLS_ENFORCE: 'strict',
      });
      const database = await openDatabase(config, SCHEMA);
      return {
        tenantDb: new TenantDb(config, database.dataSource),
        close: async () => {
          await database.close();
          rmSync(dataDir, { recursive: true, force: true });
        },
      };
    });
  });
});

describe('row-level security off (ALPHASWARM_TENANCY_RLS_ENFORCE=off)', () => {
  it('keeps the policies permissive: an unfiltered query sees every organization', async () => {
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: await workerDatabaseUrl() });
    const database = await openDatabase(config, SCHEMA);
    try {
      const tenantDb = new TenantDb(config, database.dataSource);
      const f = await seed(tenantDb);
      const rows = await tenantDb.run({ kind: 'org', orgId: f.orgA }, (db) =>
        db.query<{ id: string }[]>(`SELECT id FROM organizations WHERE id = ANY($1::uuid[])`, [
          [f.orgA, f.orgB],
        ]),
      );
      expect(ids(rows)).toEqual([f.orgA, f.orgB].sort());
    } finally {
      await database.close();
    }
  });
});

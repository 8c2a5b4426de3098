import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { SCHEMA } from '../../src/schema';
import { adminDatabaseUrl } from './services';

async function withAdmin<T>(work: (admin: Client) => Promise<T>): Promise<T> {
  const admin = new Client({ connectionString: adminDatabaseUrl() });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

/** This Jest run's id (set by globalSetup), so concurrent runs on one Postgres never share a database. */
export function runId(): string {
  return process.env.ALPHASWARM_TEST_RUN ?? 'adhoc';
}

/** Drops every database of one run. */
export function dropRunDatabases(id: string): Promise<void> {
  return withAdmin(async (admin) => {
    const { rows } = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE $1`,
      [`alphaswarm_e2e_${id}_%`],
    );
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  });
}

let workerDatabase: Promise<string> | undefined;

/**
 * This Jest worker's database on the real Postgres (created once per worker; the app's own migrations
 * run in it at boot, as in production). Suites in one worker share it, so they create their own rows.
 */
export function workerDatabaseUrl(): Promise<string> {
  workerDatabase ??= withAdmin(async (admin) => {
    const name = `alphaswarm_e2e_${runId()}_w${process.env.JEST_WORKER_ID ?? '0'}`;
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
    return adminDatabaseUrl(name);
  });
  return workerDatabase;
}

/** A TypeORM data source on `url` with the service's entities and migrations, not yet migrated. */
export function schemaDataSource(url: string): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities: [...SCHEMA.entities],
    migrations: [...SCHEMA.migrations],
    migrationsTableName: 'typeorm_migrations',
  });
}

export interface ScratchDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

/** An empty database of its own, for tests that must see a first boot. */
export async function scratchDatabase(): Promise<ScratchDatabase> {
  const name = `alphaswarm_e2e_${runId()}_s${randomBytes(6).toString('hex')}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE "${name}"`));
  return {
    url: adminDatabaseUrl(name),
    drop: () =>
      withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(
        () => undefined,
      ),
  };
}

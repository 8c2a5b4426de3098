import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { ConfigError, type AppConfig } from '../config/app-config';
import { openEmbeddedPostgres } from './embedded-postgres';

/** The open database: one TypeORM DataSource on the `pg` driver, whichever server is behind it. */
export interface DatabaseHandle {
  readonly dataSource: DataSource;
  readonly kind: 'postgres' | 'embedded';
  /** Where the data lives, for the boot line and /readyz (never includes a password). */
  readonly location: string;
  close(): Promise<void>;
}

/** Arbitrary constant: one advisory lock key serialises migrations across instances booting together. */
const MIGRATION_LOCK_KEY = 7_424_001;

/**
 * Opens Postgres (DATABASE_URL) or the embedded database, then runs the migrations unless disabled.
 * When DATABASE_URL is set and unreachable the boot stops: falling back to an empty embedded database
 * would serve a service with no tenants and no keys, silently.
 */
export async function openDatabase(config: AppConfig, schema: DatabaseSchema): Promise<DatabaseHandle> {
  const options = { ...common, entities: [...schema.entities], migrations: [...schema.migrations] };
  const handle = config.database.url
    ? await openExternal(config.database.url, options)
    : await openEmbedded(config.database.dataDir, options);
  try {
    if (config.database.migrate) await migrate(handle);
  } catch (error) {
    await handle.close();
    throw error;
  }
  return handle;
}

/** Entity and migration classes, passed in by the app so this layer knows nothing of the domain. */
export interface DatabaseSchema {
  readonly entities: readonly (new () => unknown)[];
  readonly migrations: readonly (new () => unknown)[];
}

type CommonOptions = typeof common & Pick<DataSourceOptions, 'entities' | 'migrations'>;

const common = {
  type: 'postgres',
  migrationsTableName: 'typeorm_migrations',
  synchronize: false,
  migrationsRun: false,
  installExtensions: false,
  connectTimeoutMS: 5000,
} as const satisfies Partial<DataSourceOptions>;

async function openExternal(url: string, options: CommonOptions): Promise<DatabaseHandle> {
  const dataSource = new DataSource({ ...options, url, extra: { max: 10 } });
  try {
    await dataSource.initialize();
  } catch (error) {
    throw new ConfigError(
      'DATABASE_URL',
      `cannot connect to ${redact(url)} (${describeError(error)}); start Postgres or fix the URL (the embedded database is never used while DATABASE_URL is set)`,
    );
  }
  return {
    dataSource,
    kind: 'postgres',
    location: redact(url),
    close: () => dataSource.destroy(),
  };
}

async function openEmbedded(dataDir: string, options: CommonOptions): Promise<DatabaseHandle> {
  const folder = resolve(dataDir);
  mkdirSync(folder, { recursive: true });
  const embedded = await openEmbeddedPostgres(join(folder, 'pg'));
  // PGlite is one single-threaded backend: a pool of one keeps session state from leaking between
  // "connections" and makes every transaction run alone (see docs/operations.md, "The embedded database (development)").
  const dataSource = new DataSource({
    ...options,
    host: embedded.host,
    port: embedded.port,
    username: 'postgres',
    database: 'postgres',
    extra: { max: 1 },
  });
  try {
    await dataSource.initialize();
  } catch (error) {
    await embedded.close();
    throw error;
  }
  return {
    dataSource,
    kind: 'embedded',
    location: join(folder, 'pg'),
    close: async () => {
      await dataSource.destroy();
      await embedded.close();
    },
  };
}

async function migrate(handle: DatabaseHandle): Promise<void> {
  if (handle.kind === 'embedded') {
    // One process owns the data folder (file lock), so nothing else can migrate concurrently.
    await handle.dataSource.runMigrations({ transaction: 'each' });
    return;
  }
  const lock = handle.dataSource.createQueryRunner();
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await handle.dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.release();
  }
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return 'the configured server';
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as Error & { code?: string }).code;
    return code ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

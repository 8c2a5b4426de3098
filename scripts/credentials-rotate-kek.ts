/**
 * `npm run credentials:rotate-kek`
 *
 * Re-wraps every stored data key (broker credentials, OAuth connections) under the active key-encryption
 * key: the first of ALPHASWARM_CREDENTIALS_KEKS (or of the key file), with the same configuration as
 * the service. Safe while the service serves (docs/credentials.md, "Keys and rotation"). Prints one
 * summary line; exit 0 when every row is under the active key, 1 when some rows did not open under any
 * configured key (listed by table and id), 2 when it could not run (configuration, database).
 */
import 'reflect-metadata';
import Redis from 'ioredis';
import { ConfigError, loadConfig } from '../src/config/app-config';
import { dataKeyChannel } from '../src/credentials/envelope/data-key-invalidation';
import { CredentialCipher } from '../src/credentials/envelope/credential-cipher';
import { kekSetOf } from '../src/credentials/envelope/key-wrapper.provider';
import { LocalKeyring } from '../src/credentials/envelope/local-keyring';
import { KekRotation } from '../src/credentials/rotation/kek-rotation';
import { SEALED_TABLES } from '../src/credentials/rotation/sealed-tables';
import { openDatabase } from '../src/database/database';
import { TenantDb } from '../src/database/tenant-db';
import { MetricsService } from '../src/observability/metrics.service';
import { SCHEMA } from '../src/schema';

function fail(message: string): never {
  process.stderr.write(`npm run credentials:rotate-kek: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    fail(error instanceof ConfigError ? `configuration error: ${error.message}` : String(error));
  }
  if (config.credentials.kekSource.kind === 'ephemeral') {
    fail(
      'no key-encryption keys configured; set ALPHASWARM_CREDENTIALS_KEKS (new key first) as the service has it',
    );
  }
  // Rotation needs the schema the service made: never migrate from here.
  const database = await openDatabase(
    { ...config, database: { ...config.database, migrate: false } },
    SCHEMA,
  ).catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
  try {
    const keyring = new LocalKeyring(await kekSetOf(config.credentials.kekSource));
    const cipher = new CredentialCipher(keyring, config, new MetricsService());
    const rotation = new KekRotation(new TenantDb(config, database.dataSource), cipher, SEALED_TABLES);
    const report = await rotation.run();
    for (const row of report.unreadable) {
      process.stdout.write(`unreadable: ${row.table} ${row.id} (not under any configured key)\n`);
    }
    process.stdout.write(
      `credentials: ${report.rewrapped} data key(s) re-wrapped under ${report.activeKekId}; ${report.unreadable.length} unreadable\n`,
    );
    await database.close();
    if (config.redis.url) {
      // Tell the running instances to drop their cached data keys (docs/credentials.md).
      const redis = new Redis(config.redis.url, { maxRetriesPerRequest: 1, connectTimeout: 2000 });
      redis.on('error', () => undefined);
      await redis
        .publish(dataKeyChannel(config.jobs.queuePrefix), report.activeKekId)
        .catch(() =>
          process.stderr.write('could not tell the instances to drop their data-key caches (Redis)\n'),
        );
      redis.disconnect();
    }
    process.exit(report.unreadable.length === 0 ? 0 : 1);
  } catch (error) {
    await database.close().catch(() => undefined);
    fail(`rotation stopped: ${error instanceof Error ? error.message : String(error)}`);
  }
}

void main();

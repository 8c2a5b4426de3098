/**
 * `printf %s "$SECRET" | npm run --silent credentials:set-service-secret -- --name <name>`
 *
 * Seeds one of the service's own secrets into the encrypted store (CredentialResolver reads it there in
 * production): the value comes on standard input, never as an argument (arguments show in `ps` and in
 * shell history). Names: auth0_mgmt_api_client_secret, agent_broker_client_secret. Uses the service's
 * configuration (DATABASE_URL, ALPHASWARM_CREDENTIALS_KEKS). Prints the fingerprint and the last four
 * characters; exit 0 when stored, 2 otherwise.
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../src/config/app-config';
import { CredentialCipher } from '../src/credentials/envelope/credential-cipher';
import { kekSetOf } from '../src/credentials/envelope/key-wrapper.provider';
import { LocalKeyring } from '../src/credentials/envelope/local-keyring';
import { SERVICE_SECRET_NAMES } from '../src/credentials/service-secrets/service-secret.entity';
import {
  isServiceSecretName,
  storeServiceSecret,
} from '../src/credentials/service-secrets/service-secret-store';
import { openDatabase } from '../src/database/database';
import { MetricsService } from '../src/observability/metrics.service';
import { SCHEMA } from '../src/schema';

const USAGE = `usage: printf %s "$SECRET" | npm run --silent credentials:set-service-secret -- --name <${SERVICE_SECRET_NAMES.join(' | ')}>`;

function fail(message: string): never {
  process.stderr.write(`npm run credentials:set-service-secret: ${message}\n`);
  process.exit(2);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // One trailing newline is the shell's, not the secret's.
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

async function main(): Promise<void> {
  let name: string | undefined;
  try {
    ({ name } = parseArgs({ options: { name: { type: 'string' } }, strict: true }).values);
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`);
  }
  if (name === undefined || !isServiceSecretName(name))
    fail(`--name must be one of the service's secrets\n${USAGE}`);
  if (process.stdin.isTTY) fail(`give the secret on standard input\n${USAGE}`);
  const value = await readStdin();
  if (value.length < 8 || value.length > 4096 || !/^[^\p{Cc}]+$/u.test(value)) {
    fail('the secret must be 8-4096 characters without control characters');
  }

  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    fail(error instanceof ConfigError ? `configuration error: ${error.message}` : String(error));
  }
  if (config.credentials.kekSource.kind === 'ephemeral') {
    fail('no key-encryption keys configured; set ALPHASWARM_CREDENTIALS_KEKS as the service has it');
  }
  const database = await openDatabase(
    { ...config, database: { ...config.database, migrate: false } },
    SCHEMA,
  ).catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
  try {
    const cipher = new CredentialCipher(
      new LocalKeyring(await kekSetOf(config.credentials.kekSource)),
      config,
      new MetricsService(),
    );
    const stored = await storeServiceSecret(database.dataSource, cipher, name, value);
    process.stdout.write(`${name}: stored (${stored.fingerprint}, …${stored.lastFour})\n`);
    await database.close();
  } catch (error) {
    await database.close().catch(() => undefined);
    fail(`not stored: ${error instanceof Error ? error.message : String(error)}`);
  }
}

void main();

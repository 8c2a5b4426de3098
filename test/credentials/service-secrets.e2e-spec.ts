import type { Client } from 'pg';
import type { AppConfig } from '../../src/config/app-config';
import { CredentialCipher } from '../../src/credentials/envelope/credential-cipher';
import { CredentialResolver } from '../../src/credentials/service-secrets/credential-resolver';
import { TenantDb } from '../../src/database/tenant-db';
import { startTestApp, type TestApp } from '../support/app';
import { TestIssuer } from '../support/issuer';
import { credentialsEnv, kek, seedServiceSecret, superuser, uniqueMarker } from './support';

/**
 * CredentialResolver: the service's own secrets from the environment in development, from the encrypted
 * store in production, seeded by an operator with `npm run credentials:set-service-secret`.
 */
describe('CredentialResolver and the service secrets', () => {
  let issuer: TestIssuer;
  let t: TestApp;
  let db: Client;
  const keks = kek('k1');

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    t = await startTestApp(credentialsEnv(issuer, keks));
    db = await superuser();
  });
  afterAll(async () => {
    await db.end();
    await t.close();
    await issuer.stop();
  });

  const seed = (name: string, value: string, keys = keks) => seedServiceSecret(name, value, keys);

  /** A resolver as the service builds it, with `config`'s mode and environment. */
  const resolverWith = (nodeEnv: AppConfig['nodeEnv'], fromEnv: Record<string, string>) =>
    new CredentialResolver(
      { ...t.config, nodeEnv, credentials: { ...t.config.credentials, serviceSecretsFromEnv: fromEnv } },
      t.app.get(TenantDb),
      t.app.get(CredentialCipher),
    );

  it('seeds a secret from standard input, shows only its fingerprint and last four, and resolves it', async () => {
    const value = `broker-${uniqueMarker()}`;
    const seeded = await seed('agent_broker_client_secret', `${value}\n`);
    expect(seeded.status).toBe(0);
    expect(seeded.stdout).toMatch(
      new RegExp(`^agent_broker_client_secret: stored \\(fp_[0-9a-f]{16}, …${value.slice(-4)}\\)\\n$`),
    );
    expect(seeded.stdout + seeded.stderr).not.toContain(value);
    expect(await t.app.get(CredentialResolver).resolve('agent_broker_client_secret')).toBe(value);

    const { rows } = await db.query<{ row: string }>(
      `SELECT to_jsonb(s)::text AS row FROM service_secrets s`,
    );
    expect(rows.map((row) => row.row).join('\n')).not.toContain(value);
  });

  it('replaces a seeded secret, and answers undefined for one seeded nowhere', async () => {
    await seed('auth0_mgmt_api_client_secret', 'first-value-1234');
    expect((await seed('auth0_mgmt_api_client_secret', 'second-value-5678')).status).toBe(0);
    const resolver = t.app.get(CredentialResolver);
    expect(await resolver.resolve('auth0_mgmt_api_client_secret')).toBe('second-value-5678');
    await db.query(`DELETE FROM service_secrets WHERE name = 'auth0_mgmt_api_client_secret'`);
    expect(await resolver.resolve('auth0_mgmt_api_client_secret')).toBeUndefined();
  });

  it('reads the environment first outside production, and only the store in production', async () => {
    await seed('agent_broker_client_secret', 'stored-value-9999');
    const fromEnv = { agent_broker_client_secret: 'env-value-0000' };
    expect(await resolverWith('development', fromEnv).resolve('agent_broker_client_secret')).toBe(
      'env-value-0000',
    );
    expect(await resolverWith('production', fromEnv).resolve('agent_broker_client_secret')).toBe(
      'stored-value-9999',
    );
  });

  it('refuses an unknown name, a secret on the command line and a too-short secret, storing nothing', async () => {
    const before = (await db.query(`SELECT count(*)::int AS n FROM service_secrets`)).rows[0].n as number;
    const unknown = await seed('database_password', 'some-long-secret');
    expect([unknown.status, unknown.stderr]).toEqual([2, expect.stringMatching(/--name must be one of/)]);
    const onCommandLine = await seedServiceSecret('agent_broker_client_secret', '', keks, [
      'secret-in-argv-123',
    ]);
    expect([onCommandLine.status, onCommandLine.stderr]).toEqual([2, expect.stringMatching(/usage: printf/)]);
    const short = await seed('agent_broker_client_secret', 'short');
    expect([short.status, short.stderr]).toEqual([2, expect.stringMatching(/8-4096 characters/)]);
    const noKeys = await seed('agent_broker_client_secret', 'long-enough-secret', '');
    expect([noKeys.status, noKeys.stderr]).toEqual([2, expect.stringMatching(/no key-encryption keys/)]);
    expect((await db.query(`SELECT count(*)::int AS n FROM service_secrets`)).rows[0].n).toBe(before);
  });

  it('lets the app role read but never write the store', async () => {
    await seed('agent_broker_client_secret', 'stored-value-9999');
    for (const statement of [
      `UPDATE service_secrets SET ciphertext = ciphertext`,
      `INSERT INTO service_secrets (name, fingerprint, last_four, kek_id, wrapped_key, ciphertext) VALUES ('x', 'f', 'l', 'k', '', '')`,
      `DELETE FROM service_secrets`,
    ]) {
      await db.query('BEGIN');
      try {
        await db.query('SET LOCAL ROLE alphaswarm_app');
        await expect(db.query(statement)).rejects.toThrow(/permission denied/);
      } finally {
        await db.query('ROLLBACK');
      }
    }
  });
});

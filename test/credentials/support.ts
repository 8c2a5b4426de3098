import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import type { TestApp } from '../support/app';
import { workerDatabaseUrl } from '../support/db';
import type { TestIssuer } from '../support/issuer';
import { ROOT } from '../support/process';
import { REDIS_URL } from '../support/services';
import { steppedUp } from '../support/tenancy-admin';

export const M2M_AUDIENCE = 'https://internal.test.alphaswarm/';
export const RESOLVER_CLIENT = 'trading-service';

/** A fresh key-encryption key entry, `<id>:<base64>`. */
export const kek = (id: string): string => `${id}:${randomBytes(32).toString('base64')}`;

/**
 * Seeds one of the service's own secrets as an operator does: the built
 * `npm run credentials:set-service-secret` script, the value on standard input, the service's keys.
 */
export async function seedServiceSecret(
  name: string,
  value: string,
  keks: string,
  extraArgs: readonly string[] = [],
): Promise<SpawnSyncReturns<string>> {
  const script = join(ROOT, 'dist', 'scripts', 'credentials-set-service-secret.js');
  return spawnSync(process.execPath, [script, '--name', name, ...extraArgs], {
    input: value,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      DATABASE_URL: await workerDatabaseUrl(),
      REDIS_URL,
      ALPHASWARM_CREDENTIALS_KEKS: keks,
    },
    encoding: 'utf8',
    timeout: 20_000,
  });
}

/** Environment of an app whose resolver admits RESOLVER_CLIENT, with these keys. */
export function credentialsEnv(issuer: TestIssuer, keks: string, extra: Record<string, string> = {}) {
  return {
    ...issuer.env(),
    ALPHASWARM_AUTH_M2M_AUDIENCE: M2M_AUDIENCE,
    ALPHASWARM_CREDENTIALS_RESOLVE_CLIENT_IDS: `${RESOLVER_CLIENT},risk-service`,
    ALPHASWARM_CREDENTIALS_KEKS: keks,
    ...extra,
  };
}

/** Claims of an M2M token of `client` for the M2M audience. */
export const m2mClaims = (client = RESOLVER_CLIENT, extra: Record<string, unknown> = {}) => ({
  sub: `${client}@clients`,
  azp: client,
  gty: 'client-credentials',
  aud: M2M_AUDIENCE,
  ...extra,
});

/** Claims of a credentials administrator just after MFA. */
export const credentialAdmin = (extra: Record<string, unknown> = {}) => ({
  permissions: ['manage:broker_credentials'],
  ...steppedUp(),
  ...extra,
});

/** A recognisable Alpaca secret: every value carries `marker`, so a leak anywhere can be searched for. */
export function alpacaSecret(marker = uniqueMarker()) {
  return {
    key_id: `PK${marker.replace(/[^A-Za-z0-9]/g, '')}KEYID`.slice(0, 40),
    secret_key: `sk-${marker}-SECRET`,
  };
}

export const uniqueMarker = (): string => `LEAK${randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase()}`;

/** A superuser connection to this worker's database (what an attacker with the database would hold). */
export async function superuser(): Promise<Client> {
  const client = new Client({ connectionString: await workerDatabaseUrl() });
  await client.connect();
  return client;
}

/** Calls with a bearer token. */
export function client(t: TestApp, token: string) {
  const auth = { Authorization: `Bearer ${token}` };
  return {
    get: (path: string) => t.http().get(path).set(auth),
    post: (path: string, body: unknown) =>
      t
        .http()
        .post(path)
        .set(auth)
        .send(body as object),
    put: (path: string, body: unknown) =>
      t
        .http()
        .put(path)
        .set(auth)
        .send(body as object),
    delete: (path: string) => t.http().delete(path).set(auth),
  };
}

/** The value of a counter without labels in Prometheus text (`sample` of test/support/app.ts reads labelled ones). */
export function counter(metrics: string, name: string): number {
  const line = metrics.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  if (line === undefined) throw new Error(`no ${name} in the metrics`);
  return Number(line.slice(name.length + 1));
}

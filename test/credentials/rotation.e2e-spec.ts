import { join } from 'node:path';
import { Client } from 'pg';
import { CredentialCipher } from '../../src/credentials/envelope/credential-cipher';
import { KekRotation } from '../../src/credentials/rotation/kek-rotation';
import { SEALED_TABLES } from '../../src/credentials/rotation/sealed-tables';
import { TenantDb } from '../../src/database/tenant-db';
import { startTestApp, type TestApp } from '../support/app';
import { scratchDatabase, type ScratchDatabase } from '../support/db';
import { TestIssuer } from '../support/issuer';
import { ROOT, runToExit } from '../support/process';
import { runRedisPrefix } from '../support/redis-prefix';
import { REDIS_URL } from '../support/services';
import { Tenants } from '../support/tenancy';
import { waitFor } from '../support/wait';
import { alpacaSecret, client, counter, credentialAdmin, credentialsEnv, kek, m2mClaims } from './support';

interface Stored {
  orgId: string;
  id: string;
  secret: ReturnType<typeof alpacaSecret>;
}

/**
 * `npm run credentials:rotate-kek` re-wraps every data key under the new active key while instances keep
 * serving, on a database of its own (so the counts are this suite's rows only).
 */
describe('key-encryption key rotation', () => {
  let issuer: TestIssuer;
  let database: ScratchDatabase;
  let db: Client;
  const [k1, k2] = [kek('k1'), kek('k2')];
  const stored: Stored[] = [];

  const envWith = (keks: string) => ({
    ...credentialsEnv(issuer, keks, { ALPHASWARM_CREDENTIALS_RESOLVE_RATE_LIMIT: '100000' }),
    DATABASE_URL: database.url,
  });

  async function create(app: TestApp, count: number): Promise<Stored[]> {
    const tenants = new Tenants(app);
    const created: Stored[] = [];
    for (let i = 0; i < count; i += 1) {
      const admin = await tenants.member('admin');
      const secret = alpacaSecret();
      const api = client(app, await issuer.token({ sub: admin.sub, ...credentialAdmin() }));
      const res = await api.post(`/tenancy/orgs/${admin.orgId}/broker-credentials`, {
        name: 'main',
        kind: 'alpaca',
        environment: 'live',
        secret,
      });
      expect(res.status).toBe(201);
      created.push({ orgId: admin.orgId, id: (res.body as { id: string }).id, secret });
    }
    return created;
  }

  async function resolve(app: TestApp, credential: Stored): Promise<{ status: number; secret?: unknown }> {
    const res = await client(app, await issuer.token(m2mClaims())).post('/_internal/credentials/resolve', {
      org_id: credential.orgId,
      credential_id: credential.id,
    });
    return { status: res.status, secret: (res.body as { secret?: unknown }).secret };
  }

  const kekIds = async () =>
    (
      await db.query<{ kek_id: string; n: number }>(
        `SELECT kek_id, count(*)::int AS n FROM broker_credentials GROUP BY 1 ORDER BY 1`,
      )
    ).rows;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    database = await scratchDatabase();
    const before = await startTestApp(envWith(k1));
    try {
      stored.push(...(await create(before, 24)));
    } finally {
      await before.close();
    }
    db = new Client({ connectionString: database.url });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await database.drop();
    await issuer.stop();
  });

  it('re-wraps every data key under the new key while two instances resolve and store', async () => {
    const [a, b] = [await startTestApp(envWith(`${k2},${k1}`)), await startTestApp(envWith(`${k2},${k1}`))];
    try {
      expect(await kekIds()).toEqual([{ kek_id: 'k1', n: 24 }]);
      // Warm instance a's data-key cache on the old wrapping, so rotation must not depend on it.
      for (const credential of stored.slice(0, 8)) expect((await resolve(a, credential)).status).toBe(200);

      const failures: string[] = [];
      let served = 0;
      let stop = false;
      const traffic = (async () => {
        for (let i = 0; !stop; i += 1) {
          const credential = stored[i % stored.length];
          const result = await resolve(i % 2 === 0 ? a : b, credential);
          if (result.status !== 200 || JSON.stringify(result.secret) !== JSON.stringify(credential.secret)) {
            failures.push(`${credential.id}: ${result.status}`);
          }
          served += 1;
        }
      })();
      const writes = create(b, 4); // new credentials land under k2 during the rotation
      await waitFor(() => served >= 10, { timeoutMs: 20_000, what: 'traffic before the rotation' });

      const rotation = new KekRotation(a.app.get(TenantDb), a.app.get(CredentialCipher), SEALED_TABLES);
      const report = await rotation.run();
      const servedAtRotation = served;
      await waitFor(() => served >= servedAtRotation + 24, {
        timeoutMs: 20_000,
        what: 'traffic after the rotation',
      });
      stop = true;
      await traffic;
      const added = await writes;

      expect(failures).toEqual([]);
      expect(report).toEqual({ activeKekId: 'k2', rewrapped: 24, unreadable: [] });
      expect(await kekIds()).toEqual([{ kek_id: 'k2', n: 28 }]);
      stored.push(...added);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }

    // k1 can now be withdrawn: an instance that knows only k2 opens every row.
    const after = await startTestApp(envWith(k2));
    try {
      for (const credential of stored)
        expect(await resolve(after, credential)).toEqual({ status: 200, secret: credential.secret });
    } finally {
      await after.close();
    }
  });

  it('runs as npm run credentials:rotate-kek, and lists rows that no configured key opens', async () => {
    const k3 = kek('k3');
    const script = join(ROOT, 'dist', 'scripts', 'credentials-rotate-kek.js');
    const env = {
      NODE_ENV: 'test',
      DATABASE_URL: database.url,
      REDIS_URL,
      ALPHASWARM_CREDENTIALS_KEKS: `${k3},${k2}`,
    };

    const clean = await runToExit(env, { script });
    expect([clean.code, clean.stdout.trim()]).toEqual([
      0,
      'credentials: 28 data key(s) re-wrapped under k3; 0 unreadable',
    ]);

    // A row moved to another organization by someone with the database does not open: reported, left as is.
    const [victim, thief] = [stored[0], stored[1]];
    await db.query(`UPDATE broker_credentials SET org_id = $2, name = 'moved' WHERE id = $1`, [
      victim.id,
      thief.orgId,
    ]);
    const k4 = kek('k4');
    const tampered = await runToExit({ ...env, ALPHASWARM_CREDENTIALS_KEKS: `${k4},${k3}` }, { script });
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toContain(`unreadable: broker_credentials ${victim.id}`);
    expect(tampered.stdout).toContain('credentials: 27 data key(s) re-wrapped under k4; 1 unreadable');

    const noKeys = await runToExit({ NODE_ENV: 'test', DATABASE_URL: database.url }, { script });
    expect(noKeys.code).toBe(2);
    expect(noKeys.stderr).toMatch(/no key-encryption keys configured/);
  });

  it('tells running instances over Redis to drop their cached data keys when it finishes', async () => {
    const own = await scratchDatabase();
    const keys = kek('k9');
    const prefix = runRedisPrefix(`rotation-${Date.now()}`);
    const env = {
      ...credentialsEnv(issuer, keys, { ALPHASWARM_JOBS_QUEUE_PREFIX: prefix }),
      DATABASE_URL: own.url,
    };
    const app = await startTestApp(env);
    try {
      const [credential] = await create(app, 1);
      const unwraps = async () =>
        counter(await app.metrics(), 'alphaswarm_credentials_data_key_unwraps_total');
      // Sealing cached the data key: resolves do not unwrap.
      expect((await resolve(app, credential)).status).toBe(200);
      const before = await unwraps();
      expect((await resolve(app, credential)).status).toBe(200);
      expect(await unwraps()).toBe(before);

      // Nothing to re-wrap (the row is under the active key already), but the instances are told.
      const script = join(ROOT, 'dist', 'scripts', 'credentials-rotate-kek.js');
      const run = await runToExit(
        {
          NODE_ENV: 'test',
          DATABASE_URL: own.url,
          REDIS_URL,
          ALPHASWARM_JOBS_QUEUE_PREFIX: prefix,
          ALPHASWARM_CREDENTIALS_KEKS: keys,
        },
        { script },
      );
      expect([run.code, run.stdout.trim()]).toEqual([
        0,
        'credentials: 0 data key(s) re-wrapped under k9; 0 unreadable',
      ]);
      await waitFor(
        async () => (await resolve(app, credential)).status === 200 && (await unwraps()) > before,
        { timeoutMs: 10_000, what: 'a resolve that unwraps again (the cache dropped)' },
      );
    } finally {
      await app.close();
      await own.drop();
    }
  });
});

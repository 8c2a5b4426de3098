import { randomUUID } from 'node:crypto';
import type { Client } from 'pg';
import { CredentialCipher } from '../../src/credentials/envelope/credential-cipher';
import { startTestApp, type TestApp } from '../support/app';
import { TestIssuer } from '../support/issuer';
import { runRedisPrefix } from '../support/redis-prefix';
import { Tenants } from '../support/tenancy';
import { reasonOf } from '../support/tenancy-admin';
import { waitFor } from '../support/wait';
import {
  alpacaSecret,
  client,
  counter,
  credentialAdmin,
  credentialsEnv,
  kek,
  m2mClaims,
  RESOLVER_CLIENT,
  superuser,
} from './support';

const RESOLVE = '/_internal/credentials/resolve';

/**
 * `POST /_internal/credentials/resolve`: the only way a plaintext secret leaves the service, to
 * allow-listed M2M clients, audited and rate-limited; rows moved between organizations or records do
 * not open.
 */
describe('credential resolver', () => {
  let issuer: TestIssuer;
  let t: TestApp;
  let tenants: Tenants;
  let db: Client;
  const keks = kek('k1');
  const prefix = runRedisPrefix(`resolve-${randomUUID().slice(0, 8)}`);

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    t = await startTestApp(credentialsEnv(issuer, keks, { ALPHASWARM_JOBS_QUEUE_PREFIX: prefix }));
    tenants = new Tenants(t);
    db = await superuser();
  });
  afterAll(async () => {
    await db.end();
    await t.close();
    await issuer.stop();
  });

  /** An organization with one Alpaca credential, created through the API by its admin. */
  async function stored(app: TestApp = t) {
    const admin = await tenants.member('admin');
    const secret = alpacaSecret();
    const api = client(app, await issuer.token({ sub: admin.sub, ...credentialAdmin() }));
    const res = await api.post(`/tenancy/orgs/${admin.orgId}/broker-credentials`, {
      name: `paper-${randomUUID().slice(0, 8)}`,
      kind: 'alpaca',
      environment: 'paper',
      secret,
    });
    expect(res.status).toBe(201);
    return {
      orgId: admin.orgId,
      admin,
      secret,
      credential: res.body as { id: string; name: string; fingerprint: string },
    };
  }

  const resolveAs = async (claims: Record<string, unknown>, body: unknown, app: TestApp = t) =>
    client(app, await issuer.token(claims)).post(RESOLVE, body);

  it('answers an allowed client the plaintext, by id or by name, never cached, and audits it with the client', async () => {
    const { orgId, secret, credential } = await stored();
    const byId = await resolveAs(m2mClaims(), { org_id: orgId, credential_id: credential.id });
    expect(byId.status).toBe(200);
    expect(byId.headers['cache-control']).toBe('no-store');
    expect(byId.body).toEqual({
      id: credential.id,
      org_id: orgId,
      name: credential.name,
      kind: 'alpaca',
      environment: 'paper',
      metadata: {},
      fingerprint: credential.fingerprint,
      secret,
    });
    const byName = await resolveAs(m2mClaims('risk-service'), { org_id: orgId, name: credential.name });
    expect(byName.body.secret).toEqual(secret);

    const { rows } = await db.query<{
      user_id: string;
      outcome: string;
      route: string;
      details: Record<string, unknown>;
    }>(
      `SELECT user_id, outcome, route, details FROM security_audit_events
        WHERE org_id = $1 AND event_type = 'credentials.broker_credential_resolved' ORDER BY seq`,
      [orgId],
    );
    expect(rows.map((row) => [row.user_id, row.outcome, row.route, row.details.client_id])).toEqual([
      [`${RESOLVER_CLIENT}@clients`, 'success', RESOLVE, RESOLVER_CLIENT],
      ['risk-service@clients', 'success', RESOLVE, 'risk-service'],
    ]);
    expect(rows[0].details.fingerprint).toBe(credential.fingerprint);
    expect(JSON.stringify(rows)).not.toContain(secret.secret_key);
  });

  it('refuses a user (even the organization admin), an agent and an M2M client outside the list', async () => {
    const { orgId, admin, credential } = await stored();
    const body = { org_id: orgId, credential_id: credential.id };
    const user = await resolveAs({ sub: admin.sub, ...credentialAdmin(), aud: issuer.audience }, body);
    expect(reasonOf(user)).toEqual([403, 'not_m2m']);
    const agent = await resolveAs({ sub: admin.sub, act: { sub: 'agent|trader' } }, body);
    expect(reasonOf(agent)).toEqual([403, 'agent_not_allowed']);
    expect(reasonOf(await resolveAs(m2mClaims('stranger'), body))).toEqual([403, 'not_m2m']);
    // An allowed client's token for the API audience is not a token for internal routes.
    expect(reasonOf(await resolveAs(m2mClaims(RESOLVER_CLIENT, { aud: issuer.audience }), body))).toEqual([
      403,
      'not_m2m',
    ]);
    expect(reasonOf(await t.http().post(RESOLVE).send(body))).toEqual([401, 'missing_token']);
    for (const res of [user, agent]) expect(res.text).not.toContain('secret');
  });

  it("does not find one organization's credential under another organization", async () => {
    const { credential } = await stored();
    const other = await tenants.org();
    const res = await resolveAs(m2mClaims(), { org_id: other, credential_id: credential.id });
    expect(reasonOf(res)).toEqual([404, 'not_found']);
  });

  describe('a row copied by someone with the database (superuser) does not open', () => {
    const copy = async (id: string, changes: { orgId?: string; newId?: string; kind?: string }) => {
      const newId = changes.newId ?? randomUUID();
      await db.query(
        `INSERT INTO broker_credentials (id, org_id, name, kind, environment, metadata, fingerprint, last_four, kek_id, wrapped_key, ciphertext)
         SELECT $2, coalesce($3, org_id), name || '-copy', coalesce($4, kind),
                CASE WHEN coalesce($4, kind) = 'alpaca' THEN environment END,
                metadata, fingerprint, last_four, kek_id, wrapped_key, ciphertext
           FROM broker_credentials WHERE id = $1`,
        [id, newId, changes.orgId ?? null, changes.kind ?? null],
      );
      return newId;
    };

    it('into another organization', async () => {
      const { credential } = await stored();
      const thief = await tenants.org();
      const copied = await copy(credential.id, { orgId: thief });
      const res = await resolveAs(m2mClaims(), { org_id: thief, credential_id: copied });
      expect(reasonOf(res)).toEqual([503, 'credential_unreadable']);
      const { rows } = await db.query<{ outcome: string; reason: string }>(
        `SELECT outcome, reason FROM security_audit_events WHERE org_id = $1 AND event_type = 'credentials.broker_credential_resolved'`,
        [thief],
      );
      expect(rows).toEqual([{ outcome: 'failure', reason: 'credential_unreadable' }]);
    });

    it('into another record of the same organization', async () => {
      const { orgId, credential } = await stored();
      const copied = await copy(credential.id, {});
      expect(reasonOf(await resolveAs(m2mClaims(), { org_id: orgId, credential_id: copied }))).toEqual([
        503,
        'credential_unreadable',
      ]);
    });

    it('relabelled as another kind', async () => {
      const { orgId, credential } = await stored();
      await db.query(`UPDATE broker_credentials SET kind = 'generic', environment = NULL WHERE id = $1`, [
        credential.id,
      ]);
      expect(reasonOf(await resolveAs(m2mClaims(), { org_id: orgId, credential_id: credential.id }))).toEqual(
        [503, 'credential_unreadable'],
      );
    });
  });

  it('keeps the plaintext out of what the alphaswarm_app role can read', async () => {
    const { orgId, secret } = await stored();
    await db.query('BEGIN');
    try {
      await db.query(`SET LOCAL ROLE alphaswarm_app`);
      await db.query(`SELECT set_config('alphaswarm.scope', 'system', true)`);
      const { rows } = await db.query(
        `SELECT to_jsonb(c)::text AS row FROM broker_credentials c WHERE org_id = $1`,
        [orgId],
      );
      const { rows: ledger } = await db.query(
        `SELECT to_jsonb(e)::text AS row FROM security_audit_events e WHERE org_id = $1`,
        [orgId],
      );
      expect(rows).toHaveLength(1);
      const readable = [...rows, ...ledger].map((row: { row: string }) => row.row).join('\n');
      expect(readable).not.toContain(secret.secret_key);
      expect(readable).not.toContain(secret.key_id);
    } finally {
      await db.query('ROLLBACK');
    }
  });

  it('refuses bad bodies with 400', async () => {
    const { orgId, credential } = await stored();
    const cases: unknown[] = [
      {},
      { credential_id: credential.id },
      { org_id: 'not-a-uuid', credential_id: credential.id },
      { org_id: orgId },
      { org_id: orgId, credential_id: credential.id, name: credential.name },
      { org_id: orgId, credential_id: 'nope' },
      { org_id: orgId, name: '../../etc/passwd' },
      { org_id: orgId, credential_id: credential.id, extra: true },
    ];
    for (const body of cases) {
      expect(reasonOf(await resolveAs(m2mClaims(), body))).toEqual([400, 'invalid_request']);
    }
  });

  it('does not touch the key-encryption key on warm resolves', async () => {
    const { orgId, credential } = await stored();
    const unwraps = async () => counter(await t.metrics(), 'alphaswarm_credentials_data_key_unwraps_total');
    const body = { org_id: orgId, credential_id: credential.id };
    t.app.get(CredentialCipher).forgetDataKeys();
    const cold = await unwraps();
    expect((await resolveAs(m2mClaims(), body)).status).toBe(200);
    const before = await unwraps();
    expect(before).toBe(cold + 1); // the first resolve unwrapped once
    for (let i = 0; i < 5; i += 1) expect((await resolveAs(m2mClaims(), body)).status).toBe(200);
    expect(await unwraps()).toBe(before);
  });

  it('rate-limits each client across instances, counted in Redis', async () => {
    const env = credentialsEnv(issuer, keks, {
      ALPHASWARM_JOBS_QUEUE_PREFIX: `${prefix}-limit`,
      ALPHASWARM_CREDENTIALS_RESOLVE_RATE_LIMIT: '4',
    });
    const [a, b] = [await startTestApp(env), await startTestApp(env)];
    try {
      const { orgId, credential } = await stored(a);
      const body = { org_id: orgId, credential_id: credential.id };
      // The limit counts per minute: start well inside one, so the window cannot roll over mid-test.
      await waitFor(() => Date.now() % 60_000 < 50_000, { timeoutMs: 15_000, what: 'the start of a minute' });
      const statuses = [];
      for (const app of [a, b, a, b]) statuses.push((await resolveAs(m2mClaims(), body, app)).status);
      expect(statuses).toEqual([200, 200, 200, 200]);
      expect(reasonOf(await resolveAs(m2mClaims(), body, b))).toEqual([429, 'rate_limited']);
      expect(reasonOf(await resolveAs(m2mClaims(), body, a))).toEqual([429, 'rate_limited']);
      // Another client has its own budget.
      expect((await resolveAs(m2mClaims('risk-service'), body, a)).status).toBe(200);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

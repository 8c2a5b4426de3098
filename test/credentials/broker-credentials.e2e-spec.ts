import { randomUUID } from 'node:crypto';
import type { Client } from 'pg';
import { startTestApp, type TestApp } from '../support/app';
import { TestIssuer } from '../support/issuer';
import { Tenants } from '../support/tenancy';
import { reasonOf } from '../support/tenancy-admin';
import {
  alpacaSecret,
  client,
  credentialAdmin,
  credentialsEnv,
  kek,
  m2mClaims,
  superuser,
  uniqueMarker,
} from './support';

/**
 * Broker credentials under /tenancy/orgs/:orgId/broker-credentials: who may manage them, what a bad body
 * gets (400, nothing stored), and that no answer ever carries the secret.
 */
describe('broker credentials', () => {
  let issuer: TestIssuer;
  let t: TestApp;
  let tenants: Tenants;
  let db: Client;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    t = await startTestApp(credentialsEnv(issuer, kek('k1')));
    tenants = new Tenants(t);
    db = await superuser();
  });
  afterAll(async () => {
    await db.end();
    await t.close();
    await issuer.stop();
  });

  const path = (orgId: string, id = '') => `/tenancy/orgs/${orgId}/broker-credentials${id ? `/${id}` : ''}`;
  const stored = async (orgId: string) =>
    (await db.query(`SELECT count(*)::int AS n FROM broker_credentials WHERE org_id = $1`, [orgId])).rows[0]
      .n as number;

  async function admin(role: 'admin' | 'owner' | 'member' = 'admin', claims = credentialAdmin()) {
    const user = await tenants.member(role);
    return { ...user, api: client(t, await issuer.token({ sub: user.sub, ...claims })) };
  }

  const alpacaBody = (secret = alpacaSecret()) => ({
    name: `alpaca-${randomUUID().slice(0, 8)}`,
    kind: 'alpaca',
    environment: 'paper',
    secret,
    metadata: { desk: 'research' },
  });

  it('creates an Alpaca paper credential and answers only its fingerprint and last four characters', async () => {
    const me = await admin();
    const secret = alpacaSecret();
    const res = await me.api.post(path(me.orgId), alpacaBody(secret));
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      org_id: me.orgId,
      name: expect.stringMatching(/^alpaca-/),
      kind: 'alpaca',
      environment: 'paper',
      metadata: { desk: 'research' },
      fingerprint: expect.stringMatching(/^fp_[0-9a-f]{16}$/),
      last_four: secret.key_id.slice(-4),
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const list = await me.api.get(path(me.orgId));
    const one = await me.api.get(path(me.orgId, res.body.id));
    const items = list.body.items as { id: string }[];
    expect(items.map((item) => item.id)).toEqual([res.body.id]);
    expect(one.body).toEqual(res.body);
    for (const text of [res.text, list.text, one.text]) {
      expect(text).not.toContain(secret.secret_key);
      expect(text).not.toContain(secret.key_id);
    }
  });

  it('creates a generic credential with optional fields, and shows the last four of its api key', async () => {
    const me = await admin();
    const res = await me.api.post(path(me.orgId), {
      name: 'exchange',
      kind: 'generic',
      secret: { api_key: 'gen-api-key-1234567', api_secret: 'top-secret-value' },
    });
    expect([res.status, res.body.environment, res.body.last_four]).toEqual([201, null, '4567']);
  });

  it('replaces the secret (new fingerprint) and deletes, each with a ledger row naming only fingerprints', async () => {
    const me = await admin();
    const first = alpacaSecret();
    const created = (await me.api.post(path(me.orgId), alpacaBody(first))).body;
    const second = alpacaSecret();
    const replaced = await me.api.put(path(me.orgId, created.id), { secret: second, environment: 'live' });
    expect(replaced.status).toBe(200);
    expect(replaced.body.fingerprint).not.toBe(created.fingerprint);
    expect([replaced.body.environment, replaced.body.last_four]).toEqual(['live', second.key_id.slice(-4)]);

    expect((await me.api.delete(path(me.orgId, created.id))).status).toBe(204);
    expect(reasonOf(await me.api.get(path(me.orgId, created.id)))).toEqual([404, 'not_found']);

    const { rows } = await db.query<{
      event_type: string;
      user_id: string;
      details: Record<string, unknown>;
    }>(`SELECT event_type, user_id, details FROM security_audit_events WHERE org_id = $1 ORDER BY seq`, [
      me.orgId,
    ]);
    expect(rows.map((row) => row.event_type)).toEqual([
      'credentials.broker_credential_created',
      'credentials.broker_credential_secret_replaced',
      'credentials.broker_credential_deleted',
    ]);
    expect(rows.every((row) => row.user_id === me.sub)).toBe(true);
    expect(rows[1].details).toMatchObject({
      credential_id: created.id,
      fingerprint: replaced.body.fingerprint,
      previous_fingerprint: created.fingerprint,
      last_four: second.key_id.slice(-4),
    });
    const ledger = JSON.stringify(rows);
    for (const value of [...Object.values(first), ...Object.values(second)])
      expect(ledger).not.toContain(value);
  });

  it('needs manage:broker_credentials, an admin role and, for every change, a fresh MFA', async () => {
    const withoutScope = await admin('admin', credentialAdmin({ permissions: ['admin:tenant'] }));
    expect(reasonOf(await withoutScope.api.get(path(withoutScope.orgId)))).toEqual([
      403,
      'insufficient_scope',
    ]);

    const member = await admin('member');
    expect(reasonOf(await member.api.get(path(member.orgId)))).toEqual([403, 'org_forbidden']);
    expect(reasonOf(await member.api.post(path(member.orgId), alpacaBody()))).toEqual([403, 'org_forbidden']);

    const noMfa = await admin('owner', { permissions: ['manage:broker_credentials'] });
    expect((await noMfa.api.get(path(noMfa.orgId))).status).toBe(200);
    const refused = await noMfa.api.post(path(noMfa.orgId), alpacaBody());
    expect(reasonOf(refused)).toEqual([401, 'insufficient_user_authentication']);
    expect(refused.headers['www-authenticate']).toContain('acr_values=');
    expect(await stored(noMfa.orgId)).toBe(0);

    const stale = await admin('admin', credentialAdmin({ auth_time: Math.floor(Date.now() / 1000) - 3600 }));
    expect(reasonOf(await stale.api.post(path(stale.orgId), alpacaBody()))).toEqual([
      401,
      'insufficient_user_authentication',
    ]);
  });

  it("refuses another organization's admin, by route and by header", async () => {
    const [me, other] = [await admin(), await admin()];
    const created = (await me.api.post(path(me.orgId), alpacaBody())).body;
    expect(reasonOf(await other.api.get(path(me.orgId)))).toEqual([403, 'org_forbidden']);
    expect(reasonOf(await other.api.get(path(me.orgId, created.id)))).toEqual([403, 'org_forbidden']);
    // Its own organization in the route, the other's credential id: not found, not shown.
    expect(reasonOf(await other.api.get(path(other.orgId, created.id)))).toEqual([404, 'not_found']);
    expect(reasonOf(await other.api.delete(path(other.orgId, created.id)))).toEqual([404, 'not_found']);
    expect(reasonOf(await other.api.put(path(other.orgId, created.id), { secret: alpacaSecret() }))).toEqual([
      404,
      'not_found',
    ]);
    const viaHeader = await t
      .http()
      .get(path(other.orgId))
      .set('Authorization', `Bearer ${await issuer.token({ sub: other.sub, ...credentialAdmin() })}`)
      .set('X-AlphaSwarm-Org', me.orgId);
    expect(reasonOf(viaHeader)).toEqual([403, 'org_mismatch']);
    expect(await stored(me.orgId)).toBe(1);
  });

  it('refuses M2M and agent tokens on every route', async () => {
    const me = await admin();
    const m2m = client(
      t,
      await issuer.token({
        ...m2mClaims(),
        aud: issuer.audience,
        permissions: ['manage:broker_credentials'],
      }),
    );
    expect((await m2m.get(path(me.orgId))).status).toBe(403);
    const agent = client(
      t,
      await issuer.token({ sub: me.sub, act: { sub: 'agent|helper' }, ...credentialAdmin() }),
    );
    expect(reasonOf(await agent.post(path(me.orgId), alpacaBody()))).toEqual([403, 'agent_not_allowed']);
  });

  describe('bad input: 400 with a reason, nothing stored, the secret never echoed', () => {
    const marker = uniqueMarker();
    const secret = alpacaSecret(marker);
    const cases: [string, Record<string, unknown>][] = [
      ['an unknown kind', { ...alpacaBody(secret), kind: 'binance' }],
      ['alpaca without an environment', { ...alpacaBody(secret), environment: undefined }],
      ['an unknown environment', { ...alpacaBody(secret), environment: 'demo' }],
      [
        'generic with an environment',
        { name: 'g', kind: 'generic', environment: 'paper', secret: { api_key: `${marker}-abcdefgh` } },
      ],
      ['a missing secret field', { ...alpacaBody(), secret: { key_id: secret.key_id } }],
      ['a field the kind does not take', { ...alpacaBody(), secret: { ...secret, [marker]: marker } }],
      [
        'an oversized secret',
        { ...alpacaBody(), secret: { ...secret, secret_key: `${marker}${'x'.repeat(5000)}` } },
      ],
      [
        'a secret that is not a string',
        { ...alpacaBody(), secret: { ...secret, secret_key: 123456789012345 } },
      ],
      ['a secret that is not an object', { ...alpacaBody(), secret: marker }],
      [
        'a control character in a secret',
        { ...alpacaBody(), secret: { ...secret, secret_key: `${marker}\u0000xxxxxxxxxx` } },
      ],
      ['a bad name', { ...alpacaBody(secret), name: '../etc' }],
      [
        'too many labels',
        {
          ...alpacaBody(secret),
          metadata: Object.fromEntries([...Array(17).keys()].map((i) => [`l${i}`, 'v'])),
        },
      ],
      ['a label that is not a string', { ...alpacaBody(secret), metadata: { desk: { nested: marker } } }],
      ['an unknown top-level field', { ...alpacaBody(secret), owner: 'me' }],
    ];

    it.each(cases)('%s', async (_what, body) => {
      const me = await admin();
      const res = await me.api.post(path(me.orgId), body);
      expect(reasonOf(res)).toEqual([400, 'invalid_request']);
      expect(res.text).not.toContain(marker);
      expect(await stored(me.orgId)).toBe(0);
    });

    it('a bad credential id and a body that is not JSON', async () => {
      const me = await admin();
      expect(reasonOf(await me.api.get(path(me.orgId, 'not-a-uuid')))).toEqual([400, 'invalid_request']);
      expect(reasonOf(await me.api.put(path(me.orgId, 'not-a-uuid'), { secret }))).toEqual([
        400,
        'invalid_request',
      ]);
      const broken = await t
        .http()
        .post(path(me.orgId))
        .set('Authorization', `Bearer ${await issuer.token({ sub: me.sub, ...credentialAdmin() })}`)
        .set('content-type', 'application/json')
        .send(`{"secret": {"secret_key": "${marker}"`);
      expect(reasonOf(broken)).toEqual([400, 'malformed_body']);
      expect(broken.text).not.toContain(marker);
      expect(await stored(me.orgId)).toBe(0);
    });

    it('a replacement with a bad secret keeps the stored one', async () => {
      const me = await admin();
      const created = (await me.api.post(path(me.orgId), alpacaBody())).body;
      const res = await me.api.put(path(me.orgId, created.id), {
        secret: { ...secret, secret_key: 'short' },
      });
      expect(reasonOf(res)).toEqual([400, 'invalid_request']);
      expect((await me.api.get(path(me.orgId, created.id))).body.fingerprint).toBe(created.fingerprint);
    });

    it('a second credential with the same name is a conflict', async () => {
      const me = await admin();
      const body = alpacaBody();
      expect((await me.api.post(path(me.orgId), body)).status).toBe(201);
      expect(reasonOf(await me.api.post(path(me.orgId), { ...body, secret: alpacaSecret() }))).toEqual([
        409,
        'conflict',
      ]);
      expect(await stored(me.orgId)).toBe(1);
    });
  });
});

import type { Client } from 'pg';
import { SYSTEM_SCOPE, TenantDb } from '../../src/database/tenant-db';
import { startTestApp, type TestApp } from '../support/app';
import { TestIssuer } from '../support/issuer';
import { Tenants } from '../support/tenancy';
import { reasonOf } from '../support/tenancy-admin';
import { LoopbackOAuthProvider } from './oauth-provider';
import { client, credentialsEnv, kek, m2mClaims, superuser } from './support';

const REDIRECT_URI = 'https://app.alphaswarm.test/oauth/callback';
const BASE = '/me/oauth-connections';

/**
 * Per-user OAuth connections against a real provider on loopback: PKCE S256, a state bound to the
 * person and used once, tokens sealed and never shown, RFC 7009 revocation on delete, refresh on
 * resolve, and every attack on the state and the verifier refused. Row-level security is strict here.
 */
describe('per-user OAuth connections', () => {
  let issuer: TestIssuer;
  let provider: LoopbackOAuthProvider;
  let t: TestApp;
  let tenants: Tenants;
  let db: Client;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    provider = await LoopbackOAuthProvider.start();
    t = await startTestApp({
      ...credentialsEnv(issuer, kek('k1')),
      ...provider.env(),
      ALPHASWARM_USER_OAUTH_ENABLED: 'true',
      ALPHASWARM_USER_OAUTH_REDIRECT_URI: REDIRECT_URI,
      ALPHASWARM_USER_OAUTH_GITHUB_CLIENT_ID: 'gh-client',
      ALPHASWARM_USER_OAUTH_GITHUB_CLIENT_SECRET: 'gh-secret-value',
      ALPHASWARM_TENANCY_RLS_ENFORCE: 'strict',
    });
    tenants = new Tenants(t);
    db = await superuser();
  });
  afterAll(async () => {
    await db.end();
    await t.close();
    await provider.stop();
    await issuer.stop();
  });
  afterEach(() => {
    provider.tokenFailure = undefined;
  });

  async function person() {
    const user = await tenants.user();
    return { ...user, api: client(t, await issuer.token({ sub: user.sub })) };
  }
  type Person = Awaited<ReturnType<typeof person>>;

  /** Starts a connection and lets the provider approve it: what the app's redirect page would receive. */
  async function approved(who: Person) {
    const started = await who.api.post(`${BASE}/generic/start`, {});
    expect(started.status).toBe(200);
    const authorize = await fetch(started.body.authorization_url as string, { redirect: 'manual' });
    expect(authorize.status).toBe(302);
    const back = new URL(authorize.headers.get('location') ?? '');
    return {
      started: started.body as { authorization_url: string; state: string },
      code: back.searchParams.get('code') ?? '',
      state: back.searchParams.get('state') ?? '',
      iss: back.searchParams.get('iss') ?? '',
    };
  }

  const callback = (who: Person, params: Record<string, string>) =>
    who.api.get(`${BASE}/generic/callback?${new URLSearchParams(params).toString()}`);

  async function connected(who: Person) {
    const { code, state, iss } = await approved(who);
    const res = await callback(who, { code, state, iss });
    expect(res.status).toBe(200);
    return res.body as { id: string; fingerprint: string };
  }

  const storedFor = async (userId: string) =>
    (await db.query(`SELECT count(*)::int AS n FROM oauth_connections WHERE user_id = $1`, [userId])).rows[0]
      .n as number;

  it('lists the five default providers and the generic one, each saying whether it is configured', async () => {
    const me = await person();
    const res = await me.api.get(`${BASE}/providers`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      { id: 'github', name: 'GitHub', configured: true },
      { id: 'google', name: 'Google', configured: false },
      { id: 'microsoft', name: 'Microsoft', configured: false },
      { id: 'slack', name: 'Slack', configured: false },
      { id: 'notion', name: 'Notion', configured: false },
      { id: 'generic', name: new URL(provider.url).host, configured: true },
    ]);
    expect(reasonOf(await me.api.post(`${BASE}/google/start`, {}))).toEqual([404, 'not_found']);
    expect(reasonOf(await me.api.post(`${BASE}/nope/start`, {}))).toEqual([404, 'not_found']);
  });

  it('starts with PKCE S256 and a state, and completes: the connection shows account and scopes, never a token', async () => {
    const me = await person();
    const { started, code, state, iss } = await approved(me);
    const asked = new URL(started.authorization_url).searchParams;
    expect(asked.get('code_challenge_method')).toBe('S256');
    expect(asked.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect([asked.get('state'), asked.get('redirect_uri'), asked.get('client_id')]).toEqual([
      started.state,
      REDIRECT_URI,
      provider.clientId,
    ]);
    expect(asked.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const res = await callback(me, { code, state, iss });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: expect.any(String),
      provider: 'generic',
      account: provider.person.email,
      scopes: ['openid', 'email', 'offline_access'],
      expires_at: expect.any(String),
      fingerprint: expect.stringMatching(/^fp_[0-9a-f]{16}$/),
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    // The verifier the provider checked is the one whose S256 challenge was sent.
    expect(provider.tokenRequests.at(-1)?.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    const list = await me.api.get(BASE);
    expect(list.body).toEqual([res.body]);

    const texts = [
      res.text,
      list.text,
      JSON.stringify((await db.query(`SELECT to_jsonb(c)::text AS row FROM oauth_connections c`)).rows),
    ];
    for (const issued of provider.issuedTokens) for (const text of texts) expect(text).not.toContain(issued);
  });

  it('refuses a replayed state', async () => {
    const me = await person();
    const { code, state, iss } = await approved(me);
    expect((await callback(me, { code, state, iss })).status).toBe(200);
    expect(reasonOf(await callback(me, { code, state, iss }))).toEqual([400, 'oauth_state_invalid']);
  });

  it("refuses another person's state without using it up", async () => {
    const [alice, mallory] = [await person(), await person()];
    const { code, state, iss } = await approved(alice);
    expect(reasonOf(await callback(mallory, { code, state, iss }))).toEqual([400, 'oauth_state_invalid']);
    expect(await storedFor(mallory.id)).toBe(0);
    expect((await callback(alice, { code, state, iss })).status).toBe(200);
  });

  it('refuses an expired state, an unknown one, and one started for another provider', async () => {
    const me = await person();
    const { code, state, iss } = await approved(me);
    await db.query(
      `UPDATE oauth_authorizations SET expires_at = now() - interval '1 second' WHERE user_id = $1`,
      [me.id],
    );
    expect(reasonOf(await callback(me, { code, state, iss }))).toEqual([400, 'oauth_state_invalid']);
    expect(reasonOf(await callback(me, { code, state: 'x'.repeat(43), iss }))).toEqual([
      400,
      'oauth_state_invalid',
    ]);
    const other = await approved(me);
    const res = await me.api.get(`${BASE}/github/callback?code=${other.code}&state=${other.state}`);
    expect(reasonOf(res)).toEqual([400, 'oauth_state_invalid']);
    expect(await storedFor(me.id)).toBe(0);
  });

  it('refuses a code issued for another start (the PKCE verifier does not match) and stores nothing', async () => {
    const me = await person();
    const first = await approved(me);
    const second = await approved(me);
    // The first authorization's code presented with the second's state: our verifier is the second's.
    const res = await callback(me, { code: first.code, state: second.state, iss: second.iss });
    expect(reasonOf(res)).toEqual([502, 'oauth_provider_error']);
    expect(res.body.error_description).toBe('The provider failed: it refused the request (invalid_grant)');
    expect(await storedFor(me.id)).toBe(0);
  });

  it('answers a provider that fails, or that the person declined, without storing anything', async () => {
    const me = await person();
    const failing = await approved(me);
    provider.tokenFailure = {
      status: 500,
      body: { error: 'server_error', error_description: '<script>x</script>' },
    };
    const res = await callback(me, { code: failing.code, state: failing.state, iss: failing.iss });
    expect(reasonOf(res)).toEqual([502, 'oauth_provider_error']);
    expect(res.text).not.toContain('<script>');
    provider.tokenFailure = { status: 200, body: { token_type: 'Bearer' } }; // no access_token
    const broken = await approved(me);
    expect(reasonOf(await callback(me, { code: broken.code, state: broken.state, iss: broken.iss }))).toEqual(
      [502, 'oauth_provider_error'],
    );
    provider.tokenFailure = undefined;
    const declined = await approved(me);
    expect(
      reasonOf(await callback(me, { error: 'access_denied', state: declined.state, iss: declined.iss })),
    ).toEqual([400, 'oauth_provider_error']);
    const wrongIssuer = await approved(me);
    expect(
      reasonOf(
        await callback(me, { code: wrongIssuer.code, state: wrongIssuer.state, iss: 'https://evil.test' }),
      ),
    ).toEqual([400, 'oauth_provider_error']);
    expect(await storedFor(me.id)).toBe(0);
  });

  it('deletes a connection after revoking its refresh token at the provider; another person cannot', async () => {
    const [alice, mallory] = [await person(), await person()];
    await connected(alice);
    expect(reasonOf(await mallory.api.delete(`${BASE}/generic`))).toEqual([404, 'not_found']);
    expect(await storedFor(alice.id)).toBe(1);
    const refreshToken = provider.issuedTokens.at(-1);
    expect((await alice.api.delete(`${BASE}/generic`)).status).toBe(204);
    expect(provider.revoked).toContain(refreshToken);
    expect(await storedFor(alice.id)).toBe(0);
    expect(reasonOf(await alice.api.delete(`${BASE}/generic`))).toEqual([404, 'not_found']);
    const { rows } = await db.query<{ event_type: string; details: { revoked?: boolean } }>(
      `SELECT event_type, details FROM security_audit_events WHERE user_id = $1 ORDER BY seq`,
      [alice.sub],
    );
    expect(rows.map((row) => row.event_type)).toEqual([
      'credentials.oauth_connection_started',
      'credentials.oauth_connection_created',
      'credentials.oauth_connection_deleted',
    ]);
    expect(rows[2].details.revoked).toBe(true);
  });

  it('keeps each person to their own rows even when a query forgets its filter (row-level security)', async () => {
    const [alice, bob] = [await person(), await person()];
    await connected(alice);
    await connected(bob);
    const seen = await t.app
      .get(TenantDb)
      .run({ kind: 'user', userId: bob.id }, (tx) =>
        tx.query<{ user_id: string }[]>(`SELECT user_id FROM oauth_connections`),
      );
    expect(seen.map((row) => row.user_id)).toEqual([bob.id]);
    const all = await t.app
      .get(TenantDb)
      .run(SYSTEM_SCOPE, (tx) => tx.query(`SELECT 1 FROM oauth_connections`));
    expect(all.length).toBeGreaterThanOrEqual(2);
  });

  it('resolves for an allowed platform client, refreshing an expiring token; people and other clients get 403', async () => {
    const me = await person();
    await connected(me);
    const platform = client(t, await issuer.token(m2mClaims()));
    const first = await platform.post('/_internal/credentials/oauth-connections/resolve', {
      user_sub: me.sub,
      provider: 'generic',
    });
    expect(first.status).toBe(200);
    expect(first.headers['cache-control']).toBe('no-store');
    expect(first.body).toMatchObject({
      provider: 'generic',
      account: provider.person.email,
      token_type: 'bearer',
      refreshed: false,
    });
    expect(provider.issuedTokens).toContain(first.body.access_token);

    await db.query(`UPDATE oauth_connections SET expires_at = now() WHERE user_id = $1`, [me.id]);
    const refreshed = await platform.post('/_internal/credentials/oauth-connections/resolve', {
      user_sub: me.sub,
      provider: 'generic',
    });
    expect(refreshed.body.refreshed).toBe(true);
    expect(refreshed.body.access_token).not.toBe(first.body.access_token);
    expect(provider.tokenRequests.at(-1)?.get('grant_type')).toBe('refresh_token');
    expect(new Date(refreshed.body.expires_at as string).getTime()).toBeGreaterThan(Date.now() + 3000_000);

    expect(
      reasonOf(
        await me.api.post('/_internal/credentials/oauth-connections/resolve', {
          user_sub: me.sub,
          provider: 'generic',
        }),
      ),
    ).toEqual([403, 'not_m2m']);
    const stranger = client(t, await issuer.token(m2mClaims('stranger')));
    expect(
      reasonOf(
        await stranger.post('/_internal/credentials/oauth-connections/resolve', {
          user_sub: me.sub,
          provider: 'generic',
        }),
      ),
    ).toEqual([403, 'not_m2m']);
    expect(
      reasonOf(
        await platform.post('/_internal/credentials/oauth-connections/resolve', {
          user_sub: 'auth0|nobody',
          provider: 'generic',
        }),
      ),
    ).toEqual([404, 'not_found']);
  });

  it('refuses M2M tokens on /me routes and answers 404 everywhere while the feature is off', async () => {
    const m2m = client(t, await issuer.token(m2mClaims(undefined, { aud: issuer.audience })));
    expect(reasonOf(await m2m.post(`${BASE}/generic/start`, {}))).toEqual([400, 'invalid_request']);
    const off = await startTestApp(credentialsEnv(issuer, kek('k1')));
    try {
      const me = client(off, await issuer.token({ sub: 'auth0|someone' }));
      expect(reasonOf(await me.get(`${BASE}/providers`))).toEqual([404, 'not_found']);
      expect(reasonOf(await me.post(`${BASE}/generic/start`, {}))).toEqual([404, 'not_found']);
    } finally {
      await off.close();
    }
  });
});

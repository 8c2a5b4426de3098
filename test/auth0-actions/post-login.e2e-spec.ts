import { randomUUID } from 'node:crypto';
import type { PostLoginAPI, PostLoginEvent } from '../../auth0/actions/actions';
import { EmulatedApi, loadAction, TokenEndpoint } from '../support/actions-runtime';
import { startTestApp, type TestApp } from '../support/app';
import { workerDatabaseUrl } from '../support/db';
import { ACTIONS_CLIENT, internalEnv, M2M_AUDIENCE, query } from '../support/internal';
import { TestIssuer } from '../support/issuer';
import { freePort } from '../support/ports';

type PostLogin = { onExecutePostLogin(event: PostLoginEvent, api: PostLoginAPI): Promise<void> };

const NS = 'https://alphaswarm.internal/';
const MFA_POLICY = 'http://schemas.openid.net/pape/policies/2007/06/multi-factor';
const SECRET = 'actions-client-secret-0123456789';

/**
 * auth0/actions/post-login.js run in an emulation of the Actions runtime against the running service:
 * its M2M token comes from a loopback token endpoint on the tenant domain, and the claims it injects
 * are the ones the service stored.
 */
describe('the post-login Action', () => {
  let issuer: TestIssuer;
  let t: TestApp;
  let tenantDomain: TokenEndpoint;
  let customDomain: TokenEndpoint;
  let dbUrl: string;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    dbUrl = await workerDatabaseUrl();
    t = await startTestApp(internalEnv(issuer));
    tenantDomain = await TokenEndpoint.start(issuer, { [ACTIONS_CLIENT]: SECRET });
    // The custom domain issues the users' tokens; an Action that minted its M2M token there would be wrong.
    customDomain = await TokenEndpoint.start(issuer, { [ACTIONS_CLIENT]: SECRET });
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([issuer.stop(), tenantDomain.stop(), customDomain.stop()]);
  });

  const secrets = (overrides: Record<string, string> = {}) => ({
    ALPHASWARM_API_URL: t.url,
    ALPHASWARM_M2M_CLIENT_ID: ACTIONS_CLIENT,
    ALPHASWARM_M2M_CLIENT_SECRET: SECRET,
    ALPHASWARM_M2M_AUDIENCE: M2M_AUDIENCE,
    AUTH0_DOMAIN: tenantDomain.origin,
    ...overrides,
  });
  const event = (overrides: Partial<PostLoginEvent> = {}): PostLoginEvent => ({
    secrets: secrets(),
    user: { user_id: `auth0|${randomUUID()}`, email: 'ada@example.org' },
    connection: { id: 'con_1', name: 'Username-Password-Authentication', strategy: 'auth0' },
    tenant: { id: 'alphaswarm-test' },
    client: { client_id: 'spa', name: 'alphaswarm-spa' },
    request: { ip: '203.0.113.7', hostname: new URL(customDomain.origin).host },
    transaction: { acr_values: [] },
    authentication: { methods: [{ name: 'pwd', timestamp: new Date().toISOString() }] },
    ...overrides,
  });
  const run = async (e: PostLoginEvent, api = new EmulatedApi()) => {
    const action = loadAction<PostLogin>('post-login.js');
    await action.exports.onExecutePostLogin(e, api);
    return { api, logs: action.logs };
  };

  describe('JIT sync and claims', () => {
    it('injects the claims the service stored, into the access and the ID token', async () => {
      const login = event({ connection: { id: 'con_2', name: 'google-oauth2', strategy: 'google-oauth2' } });
      const { api } = await run(login);

      const [user] = await query<{ id: string }>(dbUrl, `SELECT id FROM users WHERE sub = $1`, [
        login.user.user_id,
      ]);
      const [org] = await query<{ id: string }>(
        dbUrl,
        `SELECT id FROM organizations WHERE personal_owner_id = $1`,
        [user.id],
      );
      const [workspace] = await query<{ id: string }>(dbUrl, `SELECT id FROM workspaces WHERE org_id = $1`, [
        org.id,
      ]);
      const expected = {
        [`${NS}org_id`]: org.id,
        [`${NS}workspace_id`]: workspace.id,
        [`${NS}roles`]: ['owner'],
        [`${NS}connection`]: 'google-oauth2',
        [`${NS}internal_user_id`]: user.id,
      };
      expect(api.accessTokenClaims).toEqual(expected);
      expect(api.idTokenClaims).toEqual(expected);
      expect(api.denied).toBeNull();
      expect(api.mfa).toBeNull();
    });

    it('shapes a token the service reads: /auth/whoami shows the organization and the membership', async () => {
      const login = event();
      const { api } = await run(login);
      const userToken = await issuer.token({ sub: login.user.user_id, ...api.accessTokenClaims });
      const res = await t.http().get('/auth/whoami').set('Authorization', `Bearer ${userToken}`);
      expect(res.status).toBe(200);
      const orgId = api.accessTokenClaims[`${NS}org_id`];
      expect(res.body.principal).toMatchObject({
        orgId,
        internalUserId: api.accessTokenClaims[`${NS}internal_user_id`],
      });
      expect(res.body.memberships).toEqual([
        { org_id: orgId, scope_kind: 'organization', scope_id: orgId, role: 'owner', source: 'jit' },
      ]);
    });

    it('mints its M2M token on the tenant domain, never the custom domain, and reuses it from the cache', async () => {
      const api = new EmulatedApi();
      const [tenantBefore, customBefore] = [tenantDomain.grants, customDomain.grants];
      await run(event(), api);
      await run(event(), api);
      expect(tenantDomain.grants - tenantBefore).toBe(1);
      expect(customDomain.grants - customBefore).toBe(0);
      expect(api.accessTokenClaims[`${NS}org_id`]).toEqual(expect.any(String));
    });

    it('puts a login through an Auth0 Organization in that institutional organization', async () => {
      const id = `org_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
      const { api } = await run(event({ organization: { id, name: 'acme', display_name: 'Acme Research' } }));
      const [org] = await query<{ id: string; name: string }>(
        dbUrl,
        `SELECT id, name FROM organizations WHERE auth0_org_id = $1`,
        [id],
      );
      expect(org.name).toBe('Acme Research');
      expect(api.accessTokenClaims[`${NS}org_id`]).toBe(org.id);
      expect(api.accessTokenClaims[`${NS}roles`]).toBeUndefined();
    });

    it('uses the namespace it is given', async () => {
      const { api } = await run(
        event({ secrets: secrets({ ALPHASWARM_CLAIMS_NAMESPACE: 'https://alphaswarm/' }) }),
      );
      expect(
        Object.keys(api.accessTokenClaims).every((claim) => claim.startsWith('https://alphaswarm/')),
      ).toBe(true);
      expect(api.accessTokenClaims['https://alphaswarm/org_id']).toEqual(expect.any(String));
    });
  });

  describe('step-up MFA', () => {
    const withAcr = (methods: { name: string; timestamp?: string }[], acr = [MFA_POLICY]) =>
      event({ transaction: { acr_values: acr }, authentication: { methods } });
    const ago = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString();

    it('challenges when acr_values asks for multi-factor and the session has no MFA', async () => {
      const { api } = await run(withAcr([{ name: 'pwd', timestamp: ago(0) }]));
      expect(api.mfa).toEqual(['any', { allowRememberBrowser: false }]);
      expect(api.accessTokenClaims[`${NS}org_id`]).toEqual(expect.any(String));
    });

    it('challenges again when the session MFA is older than the step-up max age', async () => {
      expect((await run(withAcr([{ name: 'mfa', timestamp: ago(600) }]))).api.mfa).not.toBeNull();
    });

    it('does not challenge when the session MFA is recent, or when nobody asked', async () => {
      expect((await run(withAcr([{ name: 'mfa', timestamp: ago(30) }]))).api.mfa).toBeNull();
      expect((await run(withAcr([{ name: 'pwd', timestamp: ago(0) }], []))).api.mfa).toBeNull();
    });

    it('challenges a login Adaptive MFA rates high-risk', async () => {
      const risky = event({ authentication: { methods: [], riskAssessment: { confidence: 'high' } } });
      expect((await run(risky)).api.mfa).toEqual(['any', { allowRememberBrowser: false }]);
    });
  });

  describe('when something is down it fails open, as documented', () => {
    it('lets the login through without claims when the service is unreachable, and still enforces step-up', async () => {
      const closed = `http://127.0.0.1:${await freePort()}`;
      const login = event({
        secrets: secrets({ ALPHASWARM_API_URL: closed }),
        transaction: { acr_values: [MFA_POLICY] },
      });
      const { api, logs } = await run(login);
      expect(api.denied).toBeNull();
      expect(api.accessTokenClaims).toEqual({});
      expect(api.mfa).toEqual(['any', { allowRememberBrowser: false }]);
      expect(logs.join('\n')).toContain('alphaswarm_sync_failed');
      expect(await query(dbUrl, `SELECT 1 FROM users WHERE sub = $1`, [login.user.user_id])).toEqual([]);
    });

    it('lets the login through without claims when the token endpoint fails', async () => {
      tenantDomain.failWith = 503;
      try {
        const { api } = await run(event());
        expect([api.denied, api.accessTokenClaims]).toEqual([null, {}]);
      } finally {
        tenantDomain.failWith = undefined;
      }
    });

    it('drops a cached token the service refuses, so the next login mints a new one', async () => {
      const api = new EmulatedApi();
      api.cache.set(`alphaswarm-m2m:${ACTIONS_CLIENT}:${M2M_AUDIENCE}`, 'not-a-token', { ttl: 60_000 });
      const first = await run(event(), api);
      expect([first.api.denied, first.api.accessTokenClaims]).toEqual([null, {}]);
      expect(api.cache.entries.size).toBe(0);
      await run(event(), api);
      expect(api.accessTokenClaims[`${NS}org_id`]).toEqual(expect.any(String));
    });

    it('does nothing but step-up when its secrets are missing', async () => {
      const { api } = await run(event({ secrets: {} }));
      expect(api.calls).toEqual([]);
    });
  });
});

import { startTestApp, sample, type TestApp } from '../support/app';
import { TestControlPlane } from '../support/control-plane';
import {
  type CheckOutcome,
  checkGrpc,
  checkHttp,
  checkJson,
  grpcClient,
  type HeaderList,
  type Transport,
} from '../support/ext-authz';
import { TestIssuer } from '../support/issuer';
import { freePort } from '../support/ports';
import { waitFor } from '../support/wait';

const CELL = 'cell-shared-std-us-east-1a';

/**
 * The runbook's rollback is configuration only: the same service flipped to `permissive` lets anonymous
 * requests through marked `x-alphaswarm-auth: anonymous` and still refuses bad tokens; `disabled` (local
 * development) passes everything, marked, and still strips spoofed identity headers.
 */
describe('edge check modes', () => {
  let issuer: TestIssuer;
  let plane: TestControlPlane;
  beforeAll(async () => {
    issuer = await TestIssuer.start();
    plane = await TestControlPlane.start([{ id: CELL, tier: 'shared-std', state: 'active' }]);
  });
  afterAll(async () => {
    await plane.stop();
    await issuer.stop();
  });

  async function start(
    env: Record<string, string>,
  ): Promise<{ t: TestApp; client: ReturnType<typeof grpcClient> }> {
    const grpcPort = await freePort();
    const t = await startTestApp({
      ALPHASWARM_TENANT_ROUTER_CELLS_URL: plane.cellsUrl,
      ALPHASWARM_TENANT_ROUTER_GRPC_PORT: String(grpcPort),
      ...env,
    });
    await waitFor(async () => (await t.http().get('/readyz')).status === 200, { what: 'the edge ready' });
    return { t, client: grpcClient(grpcPort) };
  }

  // HTTP mode also removes the identity headers it does not set, whether Envoy forwarded them or not.
  const removedAnonymous = (transport: Transport) =>
    transport === 'http'
      ? ['x-alphaswarm-sub', 'x-alphaswarm-tenant', 'x-alphaswarm-tier', 'x-alphaswarm-workspace']
      : ['x-alphaswarm-sub', 'x-alphaswarm-tier'];

  const spoofed: HeaderList = [
    ['X-AlphaSwarm-Auth', 'verified'],
    ['x-alphaswarm-sub', 'auth0|admin'],
    ['X-AlphaSwarm-Tier', 'dedicated'],
  ];

  describe('permissive (the rollback), under a custom HTTP prefix', () => {
    let t: TestApp;
    let client: ReturnType<typeof grpcClient>;
    beforeAll(async () => {
      ({ t, client } = await start({
        ALPHASWARM_TENANT_ROUTER_AUTH_MODE: 'permissive',
        ALPHASWARM_TENANT_ROUTER_OIDC_ISSUER: issuer.url,
        ALPHASWARM_TENANT_ROUTER_OIDC_AUDIENCE: issuer.audience,
        ALPHASWARM_TENANT_ROUTER_HTTP_PATH_PREFIX: '/ext_authz/envoy',
      }));
    });
    afterAll(async () => {
      client.close();
      await t.close();
    });

    const check = (transport: Transport, headers: HeaderList): Promise<CheckOutcome> =>
      transport === 'json'
        ? checkJson(t.url, headers)
        : transport === 'http'
          ? checkHttp(t.url, headers, '/ext_authz/envoy', 'PATCH')
          : checkGrpc(client, headers);

    describe.each<Transport>(['json', 'http', 'grpc'])('over %s', (transport) => {
      it('lets an anonymous request through, marked anonymous, with every spoofed header handled', async () => {
        const outcome = await check(transport, spoofed);
        expect([outcome.status, outcome.reason]).toEqual([200, 'anonymous']);
        expect(outcome.set).toEqual({ 'x-alphaswarm-auth': 'anonymous', 'x-alphaswarm-cell': CELL });
        expect([...outcome.remove].sort()).toEqual(removedAnonymous(transport));
      });

      it('still denies a bad token', async () => {
        const now = Math.floor(Date.now() / 1000);
        const expired = await issuer.token({ iat: now - 600, exp: now - 300 });
        const outcome = await check(transport, [['authorization', `Bearer ${expired}`]]);
        expect([outcome.status, outcome.reason]).toEqual([401, 'expired_token']);
      });

      it('still refuses credentials of another scheme rather than ignoring them', async () => {
        const outcome = await check(transport, [['authorization', 'Basic YWxpY2U6c2VjcmV0']]);
        expect([outcome.status, outcome.reason]).toEqual([401, 'missing_token']);
      });

      it('verifies a valid token as in required mode', async () => {
        const outcome = await check(transport, [['authorization', `Bearer ${await issuer.token()}`]]);
        expect([outcome.status, outcome.set['x-alphaswarm-auth']]).toEqual([200, 'verified']);
      });
    });

    it('counts anonymous passes and would-be denies, with mode="permissive"', async () => {
      await checkJson(t.url, []);
      const metrics = await t.metrics();
      const count = (decision: string, reason: string) =>
        sample(metrics, 'alphaswarm_tenant_router_authz_decisions_total', {
          decision,
          mode: 'permissive',
          reason,
        });
      expect(count('allow', 'anonymous')).toBeGreaterThan(0);
      expect(count('would_deny', 'missing_token')).toBe(count('allow', 'anonymous'));
    });

    it('serves HTTP mode only under the configured prefix', async () => {
      const moved = await checkHttp(t.url, [], '/ext_authz/http');
      expect(moved.status).toBe(404);
      const res = await t.http().get('/readyz');
      expect(res.body).toMatchObject({ auth_mode: 'permissive', cba_mode: 'enforce', cells: 1 });
    });
  });

  describe("the router's IdP unreachable since boot", () => {
    let t: TestApp;
    let client: ReturnType<typeof grpcClient>;
    let dark: TestIssuer;
    beforeAll(async () => {
      dark = await TestIssuer.start();
      dark.jwksOverride = { status: 503, body: 'down' };
      const grpcPort = await freePort();
      t = await startTestApp({
        ALPHASWARM_TENANT_ROUTER_AUTH_MODE: 'required',
        ALPHASWARM_TENANT_ROUTER_OIDC_ISSUER: dark.url,
        ALPHASWARM_TENANT_ROUTER_OIDC_AUDIENCE: dark.audience,
        ALPHASWARM_TENANT_ROUTER_CELLS_URL: plane.cellsUrl,
        ALPHASWARM_TENANT_ROUTER_GRPC_PORT: String(grpcPort),
      });
      client = grpcClient(grpcPort);
    });
    afterAll(async () => {
      client.close();
      await t.close();
      await dark.stop();
    });

    it('is not ready, and says the edge is why', async () => {
      const res = await t.http().get('/readyz');
      expect([res.status, res.body.not_ready]).toEqual([503, ['edge']]);
      expect(res.body.checks.edge.jwks.status).toBe('cold');
    });

    it.each<Transport>(['json', 'http', 'grpc'])(
      'denies valid-looking tokens over %s: 401 jwks_unreachable',
      async (transport) => {
        const headers: HeaderList = [['authorization', `Bearer ${await dark.token()}`]];
        const outcome =
          transport === 'json'
            ? await checkJson(t.url, headers)
            : transport === 'http'
              ? await checkHttp(t.url, headers)
              : await checkGrpc(client, headers);
        expect([outcome.status, outcome.reason]).toEqual([401, 'jwks_unreachable']);
      },
    );
  });

  describe('disabled (local development, ALLOW_INSECURE)', () => {
    let t: TestApp;
    let client: ReturnType<typeof grpcClient>;
    beforeAll(async () => {
      ({ t, client } = await start({
        ALPHASWARM_TENANT_ROUTER_AUTH_MODE: 'disabled',
        ALPHASWARM_TENANT_ROUTER_ALLOW_INSECURE: 'true',
      }));
    });
    afterAll(async () => {
      client.close();
      await t.close();
    });

    it.each<Transport>(['json', 'http', 'grpc'])(
      'passes %s checks marked disabled, spoofed headers stripped',
      async (transport) => {
        const outcome =
          transport === 'json'
            ? await checkJson(t.url, spoofed)
            : transport === 'http'
              ? await checkHttp(t.url, spoofed)
              : await checkGrpc(client, spoofed);
        expect(outcome.status).toBe(200);
        expect(outcome.set).toEqual({ 'x-alphaswarm-auth': 'disabled', 'x-alphaswarm-cell': CELL });
        expect([...outcome.remove].sort()).toEqual(removedAnonymous(transport));
      },
    );
  });
});

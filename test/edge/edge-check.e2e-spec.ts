import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { CleanupForUser } from '../../src/internal/revocation/cleanup-for-user';
import { startTestApp, sample, type TestApp } from '../support/app';
import { TestControlPlane } from '../support/control-plane';
import {
  type CheckOutcome,
  checkGrpc,
  checkHttp,
  checkJson,
  grpcCheckRaw,
  grpcClient,
  type HeaderList,
  postRaw,
  type Transport,
} from '../support/ext-authz';
import { newKey, rawJwt, TestIssuer } from '../support/issuer';
import { freePort } from '../support/ports';

const NS = 'https://alphaswarm.internal/';
const STD_CELLS = ['cell-shared-std-us-east-1a', 'cell-shared-std-us-east-1b'];

/**
 * The edge check for the tenant router through its three transports — the runbook's JSON form, Envoy's
 * HTTP service mode and gRPC — from one table of cases, against a real issuer (JWKS over loopback HTTP),
 * a loopback control plane and a real gRPC client built from the vendored Envoy protos.
 */
describe('edge check (tenant router)', () => {
  let issuer: TestIssuer;
  let plane: TestControlPlane;
  let t: TestApp;
  let grpcPort: number;
  let client: ReturnType<typeof grpcClient>;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    plane = await TestControlPlane.start([
      { id: STD_CELLS[0], tier: 'shared-std', region: 'us-east-1', state: 'active' },
      { id: STD_CELLS[1], tier: 'shared-std', region: 'us-east-1', state: 'active' },
      // The premium tier has a cell, but it is not active: premium callers must get 503, not std.
      { id: 'cell-shared-prem-us-east-1a', tier: 'shared-prem', region: 'us-east-1', state: 'draining' },
    ]);
    grpcPort = await freePort();
    t = await startTestApp({
      ALPHASWARM_TENANT_ROUTER_AUTH_MODE: 'required',
      ALPHASWARM_TENANT_ROUTER_OIDC_ISSUER: issuer.url,
      ALPHASWARM_TENANT_ROUTER_OIDC_AUDIENCE: issuer.audience,
      ALPHASWARM_TENANT_ROUTER_CELLS_URL: plane.cellsUrl,
      ALPHASWARM_TENANT_ROUTER_GRPC_PORT: String(grpcPort),
    });
    client = grpcClient(grpcPort);
    // Wait for the first poll of the registry, as /readyz shows it.
    await waitReady(t);
  });
  afterAll(async () => {
    client.close();
    await t.close();
    await plane.stop();
    await issuer.stop();
  });

  const check = (transport: Transport, headers: HeaderList): Promise<CheckOutcome> => {
    switch (transport) {
      case 'json':
        return checkJson(t.url, headers);
      case 'http':
        return checkHttp(t.url, headers);
      case 'grpc':
        return checkGrpc(client, headers);
    }
  };
  const bearer = (token: string): HeaderList => [['authorization', `Bearer ${token}`]];

  interface Denial {
    what: string;
    headers: () => Promise<HeaderList>;
    status: number;
    reason: string;
    grpcCode: number;
  }
  const now = () => Math.floor(Date.now() / 1000);
  const denials: Denial[] = [
    { what: 'no credentials', headers: async () => [], status: 401, reason: 'missing_token', grpcCode: 16 },
    {
      what: 'another scheme (Basic)',
      headers: async () => [['authorization', 'Basic YWxpY2U6c2VjcmV0']],
      status: 401,
      reason: 'missing_token',
      grpcCode: 16,
    },
    {
      what: 'a token that is not a JWT',
      headers: async () => bearer('not-a-jwt'),
      status: 401,
      reason: 'malformed_token',
      grpcCode: 16,
    },
    {
      what: 'an expired token',
      headers: async () => bearer(await issuer.token({ iat: now() - 600, exp: now() - 300 })),
      status: 401,
      reason: 'expired_token',
      grpcCode: 16,
    },
    {
      what: 'a token not valid yet (nbf in the future, beyond the skew)',
      headers: async () => bearer(await issuer.token({ nbf: now() + 600 })),
      status: 401,
      reason: 'not_yet_valid',
      grpcCode: 16,
    },
    {
      what: 'a token for another audience',
      headers: async () => bearer(await issuer.token({ aud: 'https://other.example/' })),
      status: 401,
      reason: 'wrong_audience',
      grpcCode: 16,
    },
    {
      what: 'a token of another issuer',
      headers: async () => bearer(await issuer.token({ iss: 'https://evil.example/' })),
      status: 401,
      reason: 'wrong_issuer',
      grpcCode: 16,
    },
    {
      what: 'a forged signature (another key under the published kid)',
      headers: async () => {
        const forger = await newKey();
        return bearer(await issuer.token({}, { key: { ...forger, kid: issuer.key.kid } }));
      },
      status: 401,
      reason: 'invalid_signature',
      grpcCode: 16,
    },
    {
      what: 'an unknown kid',
      headers: async () => bearer(await issuer.token({}, { key: await newKey() })),
      status: 401,
      reason: 'no_matching_key',
      grpcCode: 16,
    },
    {
      what: 'an HS256 token (alg confusion)',
      headers: async () => {
        const token = await new SignJWT(issuer.claims())
          .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: issuer.key.kid })
          .sign(new TextEncoder().encode('a-shared-secret-of-thirty-two-bytes!'));
        return bearer(token);
      },
      status: 401,
      reason: 'forbidden_algorithm',
      grpcCode: 16,
    },
    {
      what: 'alg none',
      headers: async () => bearer(rawJwt({ alg: 'none', typ: 'at+jwt' }, issuer.claims())),
      status: 401,
      reason: 'forbidden_algorithm',
      grpcCode: 16,
    },
    {
      what: 'two Authorization headers in different case',
      headers: async () => [
        ['authorization', `Bearer ${await issuer.token()}`],
        ['Authorization', `Bearer ${await issuer.token({ sub: 'auth0|mallory' })}`],
      ],
      status: 400,
      reason: 'malformed_token',
      grpcCode: 7,
    },
    {
      what: 'a premium tier without an active cell (never downgraded)',
      headers: async () => bearer(await issuer.token({ [`${NS}tier`]: 'shared-prem' })),
      status: 503,
      reason: 'no_cell_available',
      grpcCode: 14,
    },
  ];

  describe.each<Transport>(['json', 'http', 'grpc'])('over %s', (transport) => {
    it.each(denials)('denies $what', async ({ headers, status, reason, grpcCode }) => {
      const outcome = await check(transport, await headers());
      expect([outcome.status, outcome.reason]).toEqual([status, reason]);
      expect(outcome.set).toEqual({});
      if (status === 401 || status === 403) {
        expect(outcome.wwwAuthenticate).toMatch(/^Bearer/);
        if (reason !== 'missing_token') expect(outcome.wwwAuthenticate).toContain('error="invalid_token"');
      }
      if (transport === 'grpc') expect(outcome.grpcCode).toBe(grpcCode);
    });

    it('allows a valid token with the verified identity headers and a cell of its tier', async () => {
      const outcome = await check(transport, bearer(await issuer.token({ sub: 'auth0|alice' })));
      expect([outcome.status, outcome.reason]).toEqual([200, 'verified']);
      expect(outcome.set).toEqual({
        'x-alphaswarm-auth': 'verified',
        'x-alphaswarm-sub': 'auth0|alice',
        'x-alphaswarm-cell': expect.stringMatching(/^cell-shared-std-us-east-1[ab]$/),
      });
      // HTTP mode: Envoy may not have forwarded a client's copy of the identity headers we do not set;
      // they are removed whether we saw them or not.
      expect([...outcome.remove].sort()).toEqual(
        transport === 'http' ? ['x-alphaswarm-tenant', 'x-alphaswarm-tier', 'x-alphaswarm-workspace'] : [],
      );
    });

    it("refuses a token issued before its user's revocation, cached or not, and allows a newer one", async () => {
      const sub = `auth0|revoked-${transport}-${randomUUID()}`;
      const before = await issuer.token({ sub, iat: now() - 60 });
      // Seen once before the revocation: the check's verified-token cache holds it.
      expect((await check(transport, bearer(before))).status).toBe(200);
      await t.app
        .get(CleanupForUser)
        .run({ sub, revokedBefore: new Date(), source: 'auth0_log_stream', eventTypes: ['slo'] });

      const refused = await check(transport, bearer(before));
      expect([refused.status, refused.reason]).toEqual([401, 'token_revoked']);
      expect(refused.set).toEqual({});
      if (transport === 'grpc') expect(refused.grpcCode).toBe(16);
      const fresh = await issuer.token({ sub, iat: now() + 2 });
      expect((await check(transport, bearer(fresh))).status).toBe(200);
    });

    it('passes tenant, workspace and tier on when the claims carry them', async () => {
      const token = await issuer.token({
        sub: 'auth0|bob',
        [`${NS}tenant_id`]: 'tenant-42',
        [`${NS}workspace_id`]: 'ws-7',
        [`${NS}tier`]: 'shared-std',
      });
      const outcome = await check(transport, bearer(token));
      expect(outcome.set).toMatchObject({
        'x-alphaswarm-sub': 'auth0|bob',
        'x-alphaswarm-tenant': 'tenant-42',
        'x-alphaswarm-workspace': 'ws-7',
        'x-alphaswarm-tier': 'shared-std',
      });
    });

    it('never lets a client-sent x-alphaswarm-* header through: any case, repeated, unknown suffix', async () => {
      const token = await issuer.token({ sub: 'auth0|alice' });
      const spoofed: HeaderList = [
        ['X-AlphaSwarm-Sub', 'auth0|admin'],
        ['x-alphaswarm-cell', 'cell-dedicated-victim'],
        ['X-ALPHASWARM-AUTH', 'verified'],
        ['x-alphaswarm-tenant', 'tenant-victim'],
        ['x-alphaswarm-admin', 'true'],
        ['X-Alphaswarm-Roles', 'owner'],
      ];
      // HTTP can repeat a name; the JSON and gRPC maps can only differ in case.
      // HTTP can repeat a name; the JSON and gRPC maps can only differ in case, and (unlike HTTP) can
      // carry stray whitespace around a name.
      const repeated: HeaderList =
        transport === 'http'
          ? [['x-alphaswarm-admin', 'yes']]
          : [
              ['X-ALPHASWARM-ADMIN', 'yes'],
              [' X-AlphaSwarm-Workspace ', 'ws-victim'],
            ];
      const outcome = await check(transport, [...bearer(token), ...spoofed, ...repeated]);
      expect(outcome.status).toBe(200);
      expect(outcome.set['x-alphaswarm-sub']).toBe('auth0|alice');
      expect(outcome.set['x-alphaswarm-cell']).not.toBe('cell-dedicated-victim');
      expect(outcome.set['x-alphaswarm-tenant']).toBeUndefined();
      // Every spoofed name is either overwritten with our value or removed; no name is both.
      for (const name of [...spoofed, ...repeated].map(([n]) => n.trim().toLowerCase())) {
        const handled = name in outcome.set || outcome.remove.includes(name);
        expect([name, handled]).toEqual([name, true]);
      }
      expect(outcome.remove.filter((name) => name in outcome.set)).toEqual([]);
      expect([...outcome.remove].sort()).toEqual([
        'x-alphaswarm-admin',
        'x-alphaswarm-roles',
        'x-alphaswarm-tenant',
        ...(transport === 'http' ? ['x-alphaswarm-tier'] : []),
        'x-alphaswarm-workspace',
      ]);
    });

    it('places one tenant on one cell, every time', async () => {
      const cells = new Set<string>();
      for (let i = 0; i < 5; i += 1) {
        const token = await issuer.token({ sub: `auth0|user-${i}`, [`${NS}tenant_id`]: 'tenant-sticky' });
        cells.add((await check(transport, bearer(token))).set['x-alphaswarm-cell']);
      }
      expect(cells.size).toBe(1);
      expect(STD_CELLS).toContain([...cells][0]);
    });
  });

  describe("the runbook's verification curls", () => {
    it('denies anonymous in required mode: 401', async () => {
      const res = await postRaw(
        t.url,
        '/ext_authz/v3/check',
        '{"attributes":{"request":{"http":{"headers":{}}}}}',
      );
      expect(res.status).toBe(401);
    });

    it('routes a live token: x-alphaswarm-cell, -auth and -sub in the response headers', async () => {
      const token = await issuer.token({ sub: 'auth0|runbook' });
      const res = await postRaw(
        t.url,
        '/ext_authz/v3/check',
        `{"attributes":{"request":{"http":{"headers":{"authorization":"Bearer ${token}"}}}}}`,
      );
      expect(res.status).toBe(200);
      expect(res.headers['x-alphaswarm-cell']).toMatch(/^cell-shared-std-us-east-1[ab]$/);
      expect(res.headers['x-alphaswarm-auth']).toBe('verified');
      expect(res.headers['x-alphaswarm-sub']).toBe('auth0|runbook');
    });
  });

  describe('bad check requests are denied with a reason, never allowed, never a 500', () => {
    it.each([
      ['not JSON', 'attributes: yes'],
      ['an empty body', ''],
      ['JSON null', 'null'],
      ['an array', '[]'],
      ['no attributes', '{}'],
      ['no http attributes', '{"attributes":{"request":{}}}'],
      [
        'headers that are not an object',
        '{"attributes":{"request":{"http":{"headers":"authorization: x"}}}}',
      ],
      ['headers that are an array', '{"attributes":{"request":{"http":{"headers":[]}}}}'],
      [
        'a header value that is not a string',
        '{"attributes":{"request":{"http":{"headers":{"authorization":7}}}}}',
      ],
    ])('JSON form: %s', async (_what, body) => {
      const res = await postRaw(t.url, '/ext_authz/v3/check', body);
      expect([res.status, res.body.reason]).toEqual([400, 'invalid_check_request']);
      expect(res.headers['x-alphaswarm-auth']).toBeUndefined();
      expect(JSON.stringify(res.body)).not.toContain('authorization: x');
    });

    it('JSON form: a body over 256 KiB is refused, not parsed', async () => {
      const huge = JSON.stringify({
        attributes: { request: { http: { headers: { pad: 'x'.repeat(300_000) } } } },
      });
      const res = await postRaw(t.url, '/ext_authz/v3/check', huge);
      expect([res.status, res.body.reason]).toEqual([400, 'invalid_check_request']);
    });

    it('JSON form: another content type, or none, is still read as the check (and denied here)', async () => {
      const res = await postRaw(t.url, '/ext_authz/v3/check', 'garbage', { 'content-type': 'text/plain' });
      expect([res.status, res.body.reason]).toEqual([400, 'invalid_check_request']);
    });

    it('JSON form: a JSON content type with parameters is read as JSON, first time and every time', async () => {
      const token = await issuer.token();
      const body = JSON.stringify({
        attributes: { request: { http: { headers: { authorization: `Bearer ${token}` } } } },
      });
      for (const contentType of ['application/json; charset=utf-8', 'Application/JSON', 'application/json']) {
        for (let attempt = 0; attempt < 2; attempt += 1) {
          const res = await postRaw(t.url, '/ext_authz/v3/check', body, { 'content-type': contentType });
          expect([contentType, res.status, res.body.reason]).toEqual([contentType, 200, 'verified']);
        }
      }
      const oversized = JSON.stringify({
        attributes: { request: { http: { headers: { pad: 'x'.repeat(300_000) } } } },
      });
      const refused = await postRaw(t.url, '/ext_authz/v3/check', oversized, {
        'content-type': 'application/json; charset=utf-8',
      });
      expect([refused.status, refused.body.reason]).toEqual([400, 'invalid_check_request']);
    });

    it('HTTP mode: a forwarded JSON content type with no body is a check like any other', async () => {
      const token = await issuer.token();
      const outcome = await checkHttp(
        t.url,
        [...bearer(token), ['content-type', 'application/json']],
        undefined,
        'POST',
      );
      expect([outcome.status, outcome.reason]).toEqual([200, 'verified']);
    });

    it.each([
      ['no attributes', {}],
      ['no HTTP attributes', { attributes: { request: {} } }],
      ['no request', { attributes: { source: { address: { socket_address: { address: '10.0.0.1' } } } } }],
    ])('gRPC: %s → PERMISSION_DENIED with a 400 denied_response', async (_what, request) => {
      const response = await grpcCheckRaw(client, request);
      expect(response.status?.code).toBe(7);
      expect(response.ok_response).toBeFalsy();
      expect(Number(response.denied_response?.status?.code)).toBe(400);
      expect(JSON.parse(response.denied_response?.body ?? '{}')).toMatchObject({
        reason: 'invalid_check_request',
      });
    });
  });

  it("gRPC: reads Envoy's header_map (raw_value bytes) as well as the headers map", async () => {
    const token = await issuer.token({ sub: 'auth0|raw' });
    const response = await grpcCheckRaw(client, {
      attributes: {
        request: {
          http: {
            header_map: {
              headers: [
                { key: 'authorization', raw_value: Buffer.from(`Bearer ${token}`) },
                { key: 'x-alphaswarm-sub', raw_value: Buffer.from('auth0|admin') },
              ],
            },
          },
        },
      },
    });
    expect(response.status?.code).toBe(0);
    const set = Object.fromEntries(
      (response.ok_response?.headers ?? []).map(({ header }) => [header.key, header.value]),
    );
    expect(set['x-alphaswarm-sub']).toBe('auth0|raw');
  });

  it('JSON form: reads the protobuf JSON names (headerMap, rawValue) as well as the proto ones', async () => {
    const token = await issuer.token({ sub: 'auth0|camel' });
    const body = JSON.stringify({
      attributes: {
        request: {
          http: {
            headerMap: {
              headers: [
                { key: 'authorization', rawValue: Buffer.from(`Bearer ${token}`).toString('base64') },
                { key: 'x-alphaswarm-sub', value: 'auth0|admin' },
              ],
            },
          },
        },
      },
    });
    const res = await postRaw(t.url, '/ext_authz/v3/check', body);
    expect([res.status, res.body.reason]).toEqual([200, 'verified']);
    // The caller's own x-alphaswarm-sub was read from the header map, and overwritten.
    expect(res.headers['x-alphaswarm-sub']).toBe('auth0|camel');
  });

  describe('observability', () => {
    it('counts decisions as the runbook shows them', async () => {
      await checkJson(t.url, bearer(await issuer.token({ iat: now() - 600, exp: now() - 300 })));
      await checkJson(t.url, bearer(await issuer.token()));
      const metrics = await t.metrics();
      const labels = (decision: string, reason: string) => ({ decision, mode: 'required', reason });
      expect(
        sample(metrics, 'alphaswarm_tenant_router_authz_decisions_total', labels('deny', 'expired_token')),
      ).toBeGreaterThan(0);
      expect(
        sample(metrics, 'alphaswarm_tenant_router_authz_decisions_total', labels('allow', 'verified')),
      ).toBeGreaterThan(0);
    });

    it("reports its posture in /readyz, in the runbook's shape", async () => {
      const res = await t.http().get('/readyz');
      expect(res.status).toBe(200);
      // The runbook: {"status":"ok","cells":3,"auth_mode":"required","cba_mode":"enforce",...}
      expect(res.body).toMatchObject({
        status: 'ok',
        auth_mode: 'required',
        cba_mode: 'enforce',
        cells: 2,
        registry_stale: false,
      });
      expect(res.body.checks.edge.jwks.status).toBe('warm');
    });

    it('audits a deny in the ledger with its reason and the transport', async () => {
      const requestId = `edge-${randomUUID()}`;
      const res = await postRaw(
        t.url,
        '/ext_authz/v3/check',
        JSON.stringify({ attributes: { request: { http: { method: 'DELETE', headers: {} } } } }),
        { 'content-type': 'application/json', 'x-request-id': requestId },
      );
      expect(res.status).toBe(401);
      const { Client } = await import('pg');
      const db = new Client({ connectionString: t.config.database.url });
      await db.connect();
      try {
        const { waitFor } = await import('../support/wait');
        const row = await waitFor(
          async () => {
            const { rows } = await db.query(
              'SELECT event_type, outcome, reason, route, details FROM security_audit_events WHERE request_id = $1',
              [requestId],
            );
            return rows[0] as Record<string, unknown> | undefined;
          },
          { what: 'the edge deny in the ledger' },
        );
        expect(row).toEqual({
          event_type: 'authz_decision',
          outcome: 'deny',
          reason: 'missing_token',
          route: '/ext_authz/v3/check',
          details: { method: 'DELETE', actor_type: null },
        });
      } finally {
        await db.end();
      }
    });
  });
});

async function waitReady(t: TestApp): Promise<void> {
  const { waitFor } = await import('../support/wait');
  await waitFor(async () => (await t.http().get('/readyz')).status === 200, {
    what: 'the edge ready',
    timeoutMs: 10_000,
  });
}

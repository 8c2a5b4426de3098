import { createHmac } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { base64url, exportJWK, generateKeyPair, type JWK, type KeyLike, SignJWT } from 'jose';
import { startTestApp, type TestApp } from '../support/app';
import { TestControlPlane } from '../support/control-plane';
import {
  checkGrpc,
  checkHttp,
  checkJson,
  grpcCheckRaw,
  grpcClient,
  type HeaderList,
  postRaw,
} from '../support/ext-authz';
import { TestIssuer } from '../support/issuer';
import { freePort } from '../support/ports';
import { waitFor } from '../support/wait';

const NS = 'https://alphaswarm.internal/';
const STD_CELL = 'cell-shared-std-us-east-1a';
const SOURCE_CELL = 'cell-shared-std-eu-west-1a';

/**
 * The edge check attacked from outside, the way a proxy or a hostile client could reach it: headers that
 * Envoy merges or repeats, check requests that are almost right, methods Envoy's HTTP mode forwards as
 * they are, and claims a pipeline could get wrong. Each case must end in a deny with a reason or an
 * allow whose identity headers are ours — never a client value upstream, never a 500.
 */
describe('edge check, probed from outside', () => {
  let issuer: TestIssuer;
  let plane: TestControlPlane;
  let t: TestApp;
  let client: ReturnType<typeof grpcClient>;
  let sourceKey: { privateKey: KeyLike; jwk: JWK };

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    const pair = await generateKeyPair('ES256', { extractable: true });
    sourceKey = {
      privateKey: pair.privateKey,
      jwk: { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' },
    };
    plane = await TestControlPlane.start([
      { id: STD_CELL, tier: 'shared-std', region: 'us-east-1', state: 'active' },
      // A control plane listing a cell under the tier `*` must not turn it into a catch-all.
      { id: 'cell-odd-wildcard', tier: '*', region: 'us-east-1', state: 'active' },
      // A draining cell still calls other cells: its CBA keys stay in force.
      {
        id: SOURCE_CELL,
        tier: 'shared-std',
        region: 'eu-west-1',
        state: 'draining',
        annotations: { 'alphaswarm.internal/cba-jwks': JSON.stringify({ keys: [sourceKey.jwk] }) },
      },
    ]);
    const grpcPort = await freePort();
    t = await startTestApp({
      ALPHASWARM_TENANT_ROUTER_AUTH_MODE: 'required',
      ALPHASWARM_TENANT_ROUTER_OIDC_ISSUER: issuer.url,
      ALPHASWARM_TENANT_ROUTER_OIDC_AUDIENCE: issuer.audience,
      ALPHASWARM_TENANT_ROUTER_CELLS_URL: plane.cellsUrl,
      ALPHASWARM_TENANT_ROUTER_GRPC_PORT: String(grpcPort),
    });
    client = grpcClient(grpcPort);
    await waitFor(async () => (await t.http().get('/readyz')).status === 200, { what: 'the edge ready' });
  });
  afterAll(async () => {
    client.close();
    await t.close();
    await plane.stop();
    await issuer.stop();
  });

  const bearer = async (claims: Record<string, unknown> = {}): Promise<HeaderList> => [
    ['authorization', `Bearer ${await issuer.token(claims)}`],
  ];
  const checkBody = (http: Record<string, unknown>) => JSON.stringify({ attributes: { request: { http } } });

  describe('tiers', () => {
    it.each([
      ['a tier no cell serves', 'shared-prem'],
      ['a number', 7],
      ['a list', ['shared-prem']],
      ['an empty string', ''],
      ['an object', { name: 'shared-prem' }],
    ])('never places a token whose tier claim is %s anywhere but its tier: 503', async (_what, tier) => {
      const headers = await bearer({ [`${NS}tier`]: tier });
      for (const outcome of [await checkJson(t.url, headers), await checkGrpc(client, headers)]) {
        expect([outcome.status, outcome.reason]).toEqual([503, 'no_cell_available']);
        expect(outcome.set).toEqual({});
      }
    });

    it('routes a token without a tier claim to the default tier, not to a cell listed under "*"', async () => {
      for (let i = 0; i < 8; i += 1) {
        const outcome = await checkJson(t.url, await bearer({ [`${NS}tenant_id`]: `tenant-${i}` }));
        expect([outcome.status, outcome.set['x-alphaswarm-cell']]).toEqual([200, STD_CELL]);
      }
    });
  });

  describe('credentials as Envoy can deliver them', () => {
    it('gRPC: two Authorization headers that Envoy merged into one value are refused', async () => {
      const [one, two] = [await issuer.token(), await issuer.token({ sub: 'auth0|mallory' })];
      for (const merged of [`Bearer ${one},Bearer ${two}`, `Bearer ${one}, Bearer ${two}`]) {
        const outcome = await checkGrpc(client, [['authorization', merged]]);
        expect([outcome.status, outcome.reason]).toEqual([401, 'malformed_token']);
        expect(outcome.wwwAuthenticate).toContain('error="invalid_token"');
      }
    });

    it('HTTP mode: two real Authorization headers of the same case are refused', async () => {
      const outcome = await checkHttp(t.url, [...(await bearer()), ...(await bearer({ sub: 'auth0|x' }))]);
      expect([outcome.status, outcome.reason]).toEqual([400, 'malformed_token']);
      expect(outcome.wwwAuthenticate).toContain('error="invalid_request"');
    });

    it('gRPC: an Authorization in headers and another in header_map are two, and refused', async () => {
      const response = await grpcCheckRaw(client, {
        attributes: {
          request: {
            http: {
              headers: { authorization: `Bearer ${await issuer.token()}` },
              header_map: {
                headers: [{ key: 'Authorization', raw_value: Buffer.from(`Bearer ${await issuer.token()}`) }],
              },
            },
          },
        },
      });
      expect(response.status?.code).toBe(7);
      expect(JSON.parse(response.denied_response?.body ?? '{}')).toMatchObject({ reason: 'malformed_token' });
    });

    it('an empty Authorization header is refused, not treated as anonymous', async () => {
      const outcome = await checkJson(t.url, [['authorization', '']]);
      expect([outcome.status, outcome.reason]).toEqual([401, 'missing_token']);
      expect(outcome.wwwAuthenticate).toBe('Bearer');
    });
  });

  describe('spoofed identity headers', () => {
    it('HTTP mode: the same identity header sent twice, in one case, is removed or overwritten', async () => {
      const outcome = await checkHttp(t.url, [
        ...(await bearer({ sub: 'auth0|alice' })),
        ['x-alphaswarm-sub', 'auth0|admin'],
        ['x-alphaswarm-sub', 'auth0|root'],
        ['x-alphaswarm-tenant', 'tenant-victim'],
        ['X-AlphaSwarm-Tenant', 'tenant-victim-2'],
        ['x-alphaswarm-', 'empty-suffix'],
      ]);
      expect(outcome.status).toBe(200);
      expect(outcome.set['x-alphaswarm-sub']).toBe('auth0|alice');
      expect([...outcome.remove].sort()).toEqual([
        'x-alphaswarm-',
        'x-alphaswarm-tenant',
        'x-alphaswarm-tier',
        'x-alphaswarm-workspace',
      ]);
    });

    it('HTTP mode: identity headers Envoy did not forward are removed all the same', async () => {
      // Envoy's default allowed_headers pass only Authorization (and Host, Method, Path): a client's
      // x-alphaswarm-tenant is then invisible to the check, and must still not reach the cell.
      const outcome = await checkHttp(t.url, await bearer({ sub: 'auth0|alice', [`${NS}tenant_id`]: 't-1' }));
      expect(outcome.status).toBe(200);
      expect(Object.keys(outcome.set).sort()).toEqual([
        'x-alphaswarm-auth',
        'x-alphaswarm-cell',
        'x-alphaswarm-sub',
        'x-alphaswarm-tenant',
      ]);
      expect([...outcome.remove].sort()).toEqual(['x-alphaswarm-tier', 'x-alphaswarm-workspace']);
    });

    it('JSON form: mixed-case duplicates and stray whitespace in the headers map are all handled', async () => {
      const res = await postRaw(
        t.url,
        '/ext_authz/v3/check',
        checkBody({
          headers: {
            authorization: `Bearer ${await issuer.token({ sub: 'auth0|alice' })}`,
            'X-AlphaSwarm-Cell': 'cell-victim',
            'x-alphaswarm-cell': 'cell-victim-2',
            '\tx-alphaswarm-roles ': 'owner',
            'X-ALPHASWARM-ROLES': 'owner',
          },
        }),
      );
      expect(res.status).toBe(200);
      expect(res.body.headers).toMatchObject({
        'x-alphaswarm-cell': STD_CELL,
        'x-alphaswarm-sub': 'auth0|alice',
      });
      expect(res.body.headers_to_remove).toEqual(['x-alphaswarm-roles']);
      expect(res.headers['x-envoy-auth-headers-to-remove']).toBe('x-alphaswarm-roles');
    });

    it('gRPC: spoofed names in header_map, in any case, are removed or overwritten', async () => {
      const response = await grpcCheckRaw(client, {
        attributes: {
          request: {
            http: {
              header_map: {
                headers: [
                  { key: 'authorization', raw_value: Buffer.from(`Bearer ${await issuer.token()}`) },
                  { key: 'X-AlphaSwarm-Auth', raw_value: Buffer.from('disabled') },
                  { key: 'x-alphaswarm-workspace', value: 'ws-victim' },
                  { key: 'X-AlphaSwarm-Impersonate', raw_value: Buffer.from('auth0|root') },
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
      expect(set['x-alphaswarm-auth']).toBe('verified');
      expect([...(response.ok_response?.headers_to_remove ?? [])].sort()).toEqual([
        'x-alphaswarm-impersonate',
        'x-alphaswarm-workspace',
      ]);
    });
  });

  describe('check requests that are almost right are denied, never allowed, never a 500', () => {
    it.each([
      ['header_map that is not an object', { header_map: 'authorization: Bearer x' }],
      ['header_map whose headers are not a list', { header_map: { headers: { authorization: 'x' } } }],
      ['a header_map entry without a key', { header_map: { headers: [{ value: 'x' }] } }],
      ['a header_map value that is not a string', { header_map: { headers: [{ key: 'x-a', value: 7 }] } }],
      [
        'a header_map raw_value that is not base64 text',
        { header_map: { headers: [{ key: 'x-a', raw_value: 7 }] } },
      ],
    ])('JSON form: %s', async (_what, http) => {
      const res = await postRaw(t.url, '/ext_authz/v3/check', checkBody(http));
      expect([res.status, res.body.reason]).toEqual([400, 'invalid_check_request']);
      expect(res.headers['x-alphaswarm-auth']).toBeUndefined();
    });

    it('JSON form: a member name given twice in one case is ambiguous, and refused', async () => {
      const [alice, mallory] = [
        await issuer.token({ sub: 'auth0|alice' }),
        await issuer.token({ sub: 'auth0|m' }),
      ];
      for (const body of [
        `{"attributes":{"request":{"http":{"headers":{"authorization":"Bearer ${alice}","authorization":"Bearer ${mallory}"}}}}}`,
        `{"attributes":{"request":{"http":{"headers":{}}}},"attributes":{"request":{"http":{"headers":{"authorization":"Bearer ${alice}"}}}}}`,
        `{"attributes":{"request":{"http":{"headers":{"x-alphaswarm-sub":"a","x-alphaswarm-sub":"b","authorization":"Bearer ${alice}"}}}}}`,
      ]) {
        const res = await postRaw(t.url, '/ext_authz/v3/check', body);
        expect([res.status, res.body.reason]).toEqual([400, 'invalid_check_request']);
      }
    });

    it('JSON form: a colon inside a string is not a member', async () => {
      const body = checkBody({
        headers: { authorization: `Bearer ${await issuer.token()}`, 'x-note': 'a:b:"c":d' },
      });
      expect((await postRaw(t.url, '/ext_authz/v3/check', body)).status).toBe(200);
    });

    it('JSON form: a body with no content type is still read as the check', async () => {
      const res = await postRaw(t.url, '/ext_authz/v3/check', checkBody({ headers: {} }), {});
      expect([res.status, res.body.reason]).toEqual([401, 'missing_token']);
    });

    it('JSON form: deeply nested JSON is a bad check, not a crash', async () => {
      for (const body of [
        '['.repeat(120_000) + ']'.repeat(120_000),
        '{"a":'.repeat(40_000) + '1' + '}'.repeat(40_000),
      ]) {
        const res = await postRaw(t.url, '/ext_authz/v3/check', body);
        expect([res.status, res.body.reason]).toEqual([400, 'invalid_check_request']);
      }
    });

    it('JSON form: other methods on the check path are not an allow', async () => {
      const res = await rawRequest(t.url, 'GET', '/ext_authz/v3/check', []);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.headers['x-alphaswarm-auth']).toBeUndefined();
    });

    it('gRPC: an empty CheckRequest is PERMISSION_DENIED with a 400 denied_response', async () => {
      const response = await grpcCheckRaw(client, {});
      expect([response.status?.code, Number(response.denied_response?.status?.code)]).toEqual([7, 400]);
      expect(response.status?.message).toBe('invalid_check_request');
    });
  });

  describe('cross-cell CBA attacks (enforce, destination = the routed cell)', () => {
    const now = () => Math.floor(Date.now() / 1000);
    const claims = (extra: Record<string, unknown> = {}) => ({
      iss: SOURCE_CELL,
      aud: STD_CELL,
      iat: now(),
      exp: now() + 60,
      ...extra,
    });
    const unsigned = (header: Record<string, unknown>, payload: Record<string, unknown>) =>
      `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(payload))}`;
    const withCba = async (value: string): Promise<HeaderList> => [
      ...(await bearer()),
      ['Cell-Bound-Authorization', value],
    ];

    it('passes a CBA from a listed (draining) source cell addressed to the routed cell', async () => {
      const token = await new SignJWT(claims())
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .sign(sourceKey.privateKey);
      const outcome = await checkGrpc(client, await withCba(token));
      expect([outcome.status, outcome.set['x-alphaswarm-cell']]).toEqual([200, STD_CELL]);
    });

    it.each<[string, () => Promise<string> | string, string]>([
      ['alg none', () => `${unsigned({ alg: 'none' }, claims())}.`, 'cba_malformed'],
      [
        'HS256 keyed with the public key (alg confusion)',
        () => {
          const input = unsigned({ alg: 'HS256', kid: 'k1' }, claims());
          const mac = createHmac('sha256', JSON.stringify(sourceKey.jwk)).update(input).digest('base64url');
          return `${input}.${mac}`;
        },
        'cba_malformed',
      ],
      [
        'a key carried in the token header (jwk)',
        async () => {
          const attacker = await generateKeyPair('ES256', { extractable: true });
          return new SignJWT(claims())
            .setProtectedHeader({ alg: 'ES256', jwk: await exportJWK(attacker.publicKey) })
            .sign(attacker.privateKey);
        },
        'cba_invalid_signature',
      ],
      [
        'an audience naming another cell beside a stranger',
        () =>
          new SignJWT(claims({ aud: ['cell-other'] }))
            .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
            .sign(sourceKey.privateKey),
        'cba_wrong_destination',
      ],
      [
        'an issuer that is not a string',
        () => `${unsigned({ alg: 'ES256' }, claims({ iss: 7 }))}.sig`,
        'cba_malformed',
      ],
    ])('denies %s, 403 with its reason, over every transport', async (_what, make, reason) => {
      const headers = await withCba(await make());
      for (const outcome of [
        await checkJson(t.url, headers),
        await checkHttp(t.url, headers),
        await checkGrpc(client, headers),
      ]) {
        expect([outcome.status, outcome.reason]).toEqual([403, reason]);
        expect(outcome.set).toEqual({});
      }
    });
  });

  describe("the runbook's step 3, as an operator types it", () => {
    it("curl -s localhost:8080/metrics | grep authz_decisions_total: public, with the runbook's labels", async () => {
      await checkJson(t.url, await bearer());
      const res = await rawRequest(t.url, 'GET', '/metrics', []);
      expect(res.status).toBe(200);
      const lines = res.body.split('\n').filter((line) => line.includes('authz_decisions_total'));
      expect(lines).toContainEqual(
        expect.stringMatching(
          /^alphaswarm_tenant_router_authz_decisions_total\{decision="allow",mode="required",reason="verified"\} \d+$/,
        ),
      );
    });

    it('curl -s localhost:8080/readyz: the posture without a token', async () => {
      const res = await rawRequest(t.url, 'GET', '/readyz', []);
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({
        auth_mode: 'required',
        cba_mode: 'enforce',
        cells: 2,
        registry_stale: false,
      });
    });
  });

  describe("Envoy's HTTP service mode", () => {
    it.each(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'])(
      '%s is checked like any other method',
      async (method) => {
        const denied = await rawRequest(t.url, method, '/ext_authz/http/api/items', []);
        expect(denied.status).toBe(401);
        expect(denied.headers['www-authenticate']).toBe('Bearer');
        const allowed = await rawRequest(t.url, method, '/ext_authz/http/api/items?x=1', await bearer());
        expect([allowed.status, allowed.headers['x-alphaswarm-auth']]).toEqual([200, 'verified']);
      },
    );

    it('checks the prefix itself (the original path "/") and a path with a query', async () => {
      for (const path of ['/ext_authz/http', '/ext_authz/http/', '/ext_authz/http?a=b']) {
        const res = await rawRequest(t.url, 'GET', path, await bearer());
        expect([path, res.status]).toEqual([path, 200]);
      }
    });

    it('a forwarded path with dot segments stays a check: it cannot reach another route', async () => {
      for (const path of ['/ext_authz/http/../../readyz', '/ext_authz/http/..%2F..%2Fmetrics']) {
        const res = await rawRequest(t.url, 'GET', path, []);
        expect([path, res.status, JSON.parse(res.body).reason]).toEqual([path, 401, 'missing_token']);
      }
    });

    it.each(['PROPFIND', 'REPORT', 'SEARCH', 'MKCOL', 'PURGE'])(
      '%s (a method Envoy forwards as it is) is checked too',
      async (method) => {
        const denied = await rawRequest(t.url, method, '/ext_authz/http/dav/', []);
        expect([denied.status, JSON.parse(denied.body).reason]).toEqual([401, 'missing_token']);
        const allowed = await rawRequest(t.url, method, '/ext_authz/http/dav/', await bearer());
        expect([allowed.status, allowed.headers['x-alphaswarm-auth']]).toEqual([200, 'verified']);
      },
    );

    it('a 503 deny carries no challenge, and its JSON body goes to the client as it is', async () => {
      const res = await rawRequest(
        t.url,
        'GET',
        '/ext_authz/http/x',
        await bearer({ [`${NS}tier`]: 'shared-prem' }),
      );
      expect(res.status).toBe(503);
      expect(res.headers['www-authenticate']).toBeUndefined();
      expect(res.headers['x-alphaswarm-cell']).toBeUndefined();
      expect(JSON.parse(res.body)).toMatchObject({
        error: 'temporarily_unavailable',
        reason: 'no_cell_available',
      });
    });
  });
});

function rawRequest(
  baseUrl: string,
  method: string,
  path: string,
  headers: HeaderList,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: ['host', url.host, ...headers.flatMap(([n, v]) => [n, v])],
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type KeyLike, SignJWT } from 'jose';
import { Client } from 'pg';
import { startTestApp, sample, type TestApp } from '../support/app';
import { TestControlPlane } from '../support/control-plane';
import {
  checkGrpc,
  checkHttp,
  checkJson,
  grpcClient,
  type HeaderList,
  type CheckOutcome,
  postRaw,
} from '../support/ext-authz';
import { TestIssuer } from '../support/issuer';
import { freePort } from '../support/ports';
import { waitFor } from '../support/wait';

const HERE = 'cell-shared-std-us-east-1a';
const SOURCE = 'cell-shared-std-us-west-2a';
const ANNOTATION = 'alphaswarm.internal/cba-jwks';

interface CellKey {
  privateKey: KeyLike;
  jwks: string;
}

async function cellKey(kid: string): Promise<CellKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  return { privateKey, jwks: JSON.stringify({ keys: [jwk] }) };
}

/**
 * Cross-cell Cell-Bound-Authorization tokens (runbook §5), verified against the source cell's keys from
 * its registry annotation; this edge pins its own cell id. The same cases run over the three
 * transports in `enforce`, and `monitor` lets them through while counting what it would deny.
 */
describe('edge cross-cell CBA', () => {
  let issuer: TestIssuer;
  let plane: TestControlPlane;
  let source: CellKey;
  let stranger: CellKey;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    source = await cellKey('cba-west-1');
    stranger = await cellKey('cba-west-1');
    plane = await TestControlPlane.start([
      { id: HERE, tier: 'shared-std', state: 'active' },
      // A source cell need not take traffic here to vouch for its calls.
      { id: SOURCE, tier: 'shared-std', state: 'active', annotations: { [ANNOTATION]: source.jwks } },
      { id: 'cell-without-keys', tier: 'dedicated', state: 'active' },
    ]);
  });
  afterAll(async () => {
    await plane.stop();
    await issuer.stop();
  });

  async function start(mode: 'enforce' | 'monitor') {
    const grpcPort = await freePort();
    const t = await startTestApp({
      ALPHASWARM_TENANT_ROUTER_AUTH_MODE: 'required',
      ALPHASWARM_TENANT_ROUTER_OIDC_ISSUER: issuer.url,
      ALPHASWARM_TENANT_ROUTER_OIDC_AUDIENCE: issuer.audience,
      ALPHASWARM_TENANT_ROUTER_CELLS_URL: plane.cellsUrl,
      ALPHASWARM_TENANT_ROUTER_CBA_DESTINATION_CELL_ID: HERE,
      ALPHASWARM_TENANT_ROUTER_CBA_MODE: mode,
      ALPHASWARM_TENANT_ROUTER_GRPC_PORT: String(grpcPort),
    });
    await waitFor(async () => (await t.http().get('/readyz')).body.cells === 3, { what: 'the cells' });
    return { t, client: grpcClient(grpcPort) };
  }

  const now = () => Math.floor(Date.now() / 1000);
  const cba = (claims: Record<string, unknown>, key: CellKey = source, kid = 'cba-west-1') =>
    new SignJWT({ iss: SOURCE, aud: HERE, iat: now(), exp: now() + 60, ...claims })
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
      .sign(key.privateKey);

  const cases: [string, () => Promise<string>, string][] = [
    ['an expired CBA', () => cba({ iat: now() - 600, exp: now() - 300 }), 'cba_expired'],
    ['a CBA for another cell', () => cba({ aud: 'cell-shared-std-eu-west-1a' }), 'cba_wrong_destination'],
    [
      'a CBA from a cell the registry does not list',
      () => cba({ iss: 'cell-unknown' }),
      'cba_unknown_source_cell',
    ],
    [
      'a CBA from a cell that publishes no keys',
      () => cba({ iss: 'cell-without-keys' }),
      'cba_unknown_source_cell',
    ],
    ['a CBA signed by another key under the kid', () => cba({}, stranger), 'cba_invalid_signature'],
    ['a CBA that is not a JWT', async () => 'not.a.jwt!', 'cba_malformed'],
    ['a CBA without exp', () => cba({ exp: undefined }), 'cba_malformed'],
  ];

  describe('enforce', () => {
    let t: TestApp;
    let client: ReturnType<typeof grpcClient>;
    beforeAll(async () => ({ t, client } = await start('enforce')));
    afterAll(async () => {
      client.close();
      await t.close();
    });

    const run = (transport: string, headers: HeaderList): Promise<CheckOutcome> =>
      transport === 'json'
        ? checkJson(t.url, headers)
        : transport === 'http'
          ? checkHttp(t.url, headers)
          : checkGrpc(client, headers);

    describe.each(['json', 'http', 'grpc'])('over %s', (transport) => {
      it('passes a request without a CBA, and one with a valid CBA from a listed cell', async () => {
        const bearer: HeaderList = [['authorization', `Bearer ${await issuer.token()}`]];
        expect((await run(transport, bearer)).status).toBe(200);
        const valid = await run(transport, [...bearer, ['Cell-Bound-Authorization', await cba({})]]);
        expect([valid.status, valid.set['x-alphaswarm-cell']]).toEqual([
          200,
          expect.stringMatching(/^cell-/),
        ]);
      });

      it.each(cases)('denies %s with 403 and its reason', async (_what, make, reason) => {
        const headers: HeaderList = [
          ['authorization', `Bearer ${await issuer.token()}`],
          ['cell-bound-authorization', await make()],
        ];
        const outcome = await run(transport, headers);
        expect([outcome.status, outcome.reason]).toEqual([403, reason]);
        expect(outcome.set).toEqual({});
      });
    });

    it('denies two CBA headers (which one a cell would read is a guess)', async () => {
      const value = await cba({});
      const outcome = await checkHttp(t.url, [
        ['authorization', `Bearer ${await issuer.token()}`],
        ['cell-bound-authorization', value],
        ['Cell-Bound-Authorization', value],
      ]);
      expect([outcome.status, outcome.reason]).toEqual([403, 'cba_malformed']);
    });

    it('counts CBA decisions', async () => {
      const metrics = await t.metrics();
      const count = (decision: string, reason: string) =>
        sample(metrics, 'alphaswarm_tenant_router_cba_decisions_total', {
          decision,
          mode: 'enforce',
          reason,
        });
      expect(count('allow', 'valid')).toBeGreaterThan(0);
      expect(count('deny', 'cba_expired')).toBeGreaterThan(0);
    });
  });

  describe('monitor', () => {
    let t: TestApp;
    let client: ReturnType<typeof grpcClient>;
    beforeAll(async () => ({ t, client } = await start('monitor')));
    afterAll(async () => {
      client.close();
      await t.close();
    });

    it('lets a bad CBA through and counts it as a would-be deny', async () => {
      const outcome = await checkJson(t.url, [
        ['authorization', `Bearer ${await issuer.token()}`],
        ['cell-bound-authorization', await cba({ aud: 'cell-elsewhere' })],
      ]);
      expect([outcome.status, outcome.set['x-alphaswarm-auth']]).toEqual([200, 'verified']);
      const metrics = await t.metrics();
      expect(
        sample(metrics, 'alphaswarm_tenant_router_cba_decisions_total', {
          decision: 'would_deny',
          mode: 'monitor',
          reason: 'cba_wrong_destination',
        }),
      ).toBe(1);
      expect((await t.http().get('/readyz')).body.cba_mode).toBe('monitor');
    });

    it('keeps the would-be deny in the audit ledger, with the caller', async () => {
      const requestId = `cba-${randomUUID()}`;
      const headers = {
        authorization: `Bearer ${await issuer.token({ sub: 'auth0|crosser' })}`,
        'cell-bound-authorization': await cba({ exp: now() - 120, iat: now() - 600 }),
      };
      const res = await postRaw(
        t.url,
        '/ext_authz/v3/check',
        JSON.stringify({ attributes: { request: { http: { method: 'POST', headers } } } }),
        { 'content-type': 'application/json', 'x-request-id': requestId },
      );
      expect(res.status).toBe(200);
      const db = new Client({ connectionString: t.config.database.url });
      await db.connect();
      try {
        const row = await waitFor(
          async () =>
            (
              await db.query(
                'SELECT outcome, reason, user_id, route FROM security_audit_events WHERE request_id = $1',
                [requestId],
              )
            ).rows[0] as Record<string, unknown> | undefined,
          { what: 'the would-be deny in the ledger' },
        );
        expect(row).toEqual({
          outcome: 'would_deny',
          reason: 'cba_expired',
          user_id: 'auth0|crosser',
          route: '/ext_authz/v3/check',
        });
      } finally {
        await db.end();
      }
    });

    it('still refuses a bad bearer token: monitor is about CBAs only', async () => {
      const outcome = await checkGrpc(client, [['cell-bound-authorization', await cba({})]]);
      expect([outcome.status, outcome.reason]).toEqual([401, 'missing_token']);
    });
  });
});

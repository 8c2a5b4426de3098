import { createHmac } from 'node:crypto';
import { Controller, Get, Module, Post } from '@nestjs/common';
import Redis from 'ioredis';
import type { Response } from 'supertest';
import { Authenticated } from '../../src/identity/authentication/route-access.decorators';
import { CurrentPrincipal } from '../../src/identity/authentication/current-principal.decorator';
import { RequireDpop } from '../../src/identity/dpop/require-dpop.decorator';
import { DpopReplayStore } from '../../src/identity/dpop/dpop-replay-store';
import type { Principal } from '../../src/identity/principal';
import { RequireScope } from '../../src/identity/scope/require-scope.decorator';
import { StepUp } from '../../src/identity/step-up/step-up.decorator';
import { startTestApp, type TestApp } from '../support/app';
import { DpopClient } from '../support/dpop';
import { rawJwt, TestIssuer } from '../support/issuer';
import { runRedisPrefix } from '../support/redis-prefix';
import { REDIS, REDIS_URL } from '../support/services';
import { TcpProxy } from '../support/tcp-proxy';
import { waitFor } from '../support/wait';

/** Routes of each DPoP-relevant kind, mounted beside the service's own through the real bootstrap. */
@Controller('dpop-fixture')
class DpopFixtureController {
  @Authenticated()
  @Get('read')
  read(@CurrentPrincipal() principal: Principal): { sub: string; dpopJkt: string | null } {
    return { sub: principal.sub, dpopJkt: principal.dpopJkt ?? null };
  }

  @RequireDpop()
  @Post('rotate')
  rotate(): { rotated: true } {
    return { rotated: true };
  }

  @StepUp()
  @Get('step-up')
  stepUp(): { ok: true } {
    return { ok: true };
  }

  @RequireScope('admin:cluster')
  @Get('scoped')
  scoped(): { ok: true } {
    return { ok: true };
  }
}

@Module({ controllers: [DpopFixtureController] })
class DpopFixtureModule {}

/** The origin clients call: a load balancer in front of every instance started here. */
const PUBLIC_URL = 'https://api.test.alphaswarm';
const READ = `${PUBLIC_URL}/dpop-fixture/read`;
const ALGS = 'algs="ES256 PS256 RS256 EdDSA"';

/** Every `WWW-Authenticate` line of a response, as sent. */
function challenges(res: Response): string[] {
  const raw = (res as unknown as { res: { rawHeaders: string[] } }).res.rawHeaders;
  const lines: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].toLowerCase() === 'www-authenticate') lines.push(raw[i + 1]);
  }
  return lines;
}

describe('DPoP (RFC 9449) at the resource server', () => {
  let issuer: TestIssuer;
  let client: DpopClient;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    client = await DpopClient.create('ES256');
  });
  afterAll(() => issuer.stop());

  const dpopEnv = (extra: Record<string, string> = {}) => ({
    ...issuer.env(),
    ALPHASWARM_AUTH0_DPOP_ENABLED: 'true',
    ALPHASWARM_PUBLIC_URL: PUBLIC_URL,
    ...extra,
  });

  /** A token bound to `client`'s key. */
  const boundToken = (claims: Record<string, unknown> = {}) =>
    issuer.token({ cnf: { jkt: client.jkt }, ...claims });

  describe('enabled beside bearer tokens', () => {
    let a: TestApp;
    let b: TestApp;
    beforeAll(async () => {
      [a, b] = await Promise.all([
        startTestApp(dpopEnv(), [DpopFixtureModule]),
        startTestApp(dpopEnv(), [DpopFixtureModule]),
      ]);
    });
    afterAll(() => Promise.all([a.close(), b.close()]));

    const dpopGet = (app: TestApp, token: string, proof: string | string[], path = '/dpop-fixture/read') =>
      app.http().get(path).set('Authorization', `DPoP ${token}`).set({ DPoP: proof });

    it('serves a client that holds the key: a bound token with a fresh proof per request', async () => {
      const token = await boundToken();
      for (const app of [a, b, a]) {
        const res = await dpopGet(app, token, await client.proof('GET', READ, { accessToken: token }));
        expect([res.status, res.body]).toEqual([200, { sub: 'auth0|alice', dpopJkt: client.jkt }]);
      }
    });

    it('still serves plain bearer tokens, and says both schemes are accepted', async () => {
      const ok = await a
        .http()
        .get('/dpop-fixture/read')
        .auth(await issuer.token(), { type: 'bearer' });
      expect([ok.status, ok.body.dpopJkt]).toEqual([200, null]);
      const missing = await a.http().get('/dpop-fixture/read');
      expect(missing.status).toBe(401);
      expect(challenges(missing)).toEqual(['Bearer', `DPoP ${ALGS}`]);
    });

    it('checks the proof on every request, even when the token is already verified (a replay fails)', async () => {
      const token = await boundToken();
      const proof = await client.proof('GET', READ, { accessToken: token });
      expect((await dpopGet(a, token, proof)).status).toBe(200);
      const again = await dpopGet(a, token, proof);
      expect([again.status, again.body.reason, again.body.error]).toEqual([
        401,
        'dpop_replay',
        'invalid_dpop_proof',
      ]);
      const elsewhere = await dpopGet(b, token, proof);
      expect([elsewhere.status, elsewhere.body.reason]).toEqual([401, 'dpop_replay']);
    });

    it('accepts the same proof exactly once when 20 copies race across two instances', async () => {
      const token = await boundToken();
      const proof = await client.proof('GET', READ, { accessToken: token });
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) => dpopGet(i % 2 === 0 ? a : b, token, proof)),
      );
      const statuses = responses.map((res): string => (res.status === 200 ? 'ok' : String(res.body.reason)));
      expect(statuses.filter((status) => status === 'ok')).toHaveLength(1);
      expect(statuses.filter((status) => status === 'dpop_replay')).toHaveLength(19);
    });

    it('refuses a bound token sent as a plain bearer token (RFC 9449 §7.2)', async () => {
      const token = await boundToken();
      // Verified once with its proof, so the verified-token cache knows it: the cache must not admit it.
      expect((await dpopGet(a, token, await client.proof('GET', READ, { accessToken: token }))).status).toBe(
        200,
      );
      const res = await a.http().get('/dpop-fixture/read').auth(token, { type: 'bearer' });
      expect([res.status, res.body.reason]).toEqual([401, 'dpop_required']);
      expect(challenges(res)).toEqual([`DPoP ${ALGS}`]);
    });

    it('refuses a token without cnf sent with the DPoP scheme, even with a valid proof', async () => {
      const token = await issuer.token();
      const res = await dpopGet(a, token, await client.proof('GET', READ, { accessToken: token }));
      expect([res.status, res.body.reason]).toEqual([401, 'invalid_dpop_proof']);
    });

    it('answers a bad token under the DPoP scheme with the error on the DPoP challenge only', async () => {
      const token = await boundToken({ exp: Math.floor(Date.now() / 1000) - 120 });
      const res = await dpopGet(a, token, await client.proof('GET', READ, { accessToken: token }));
      expect([res.status, res.body.reason]).toEqual([401, 'expired_token']);
      expect(challenges(res)).toEqual([
        'Bearer',
        `DPoP error="invalid_token", error_description="The token has expired", ${ALGS}`,
      ]);
    });

    it('answers a bad bearer token with the error on the Bearer challenge only', async () => {
      const res = await a.http().get('/dpop-fixture/read').auth('not-a-jwt', { type: 'bearer' });
      expect(res.status).toBe(401);
      expect(challenges(res)).toEqual([
        'Bearer error="invalid_token", error_description="The bearer token is not a well-formed JWT access token"',
        `DPoP ${ALGS}`,
      ]);
    });

    it('names the missing scope on the DPoP challenge of a DPoP client (403)', async () => {
      const token = await boundToken();
      const res = await dpopGet(
        a,
        token,
        await client.proof('GET', `${PUBLIC_URL}/dpop-fixture/scoped`, { accessToken: token }),
        '/dpop-fixture/scoped',
      );
      expect([res.status, res.body.reason]).toEqual([403, 'insufficient_scope']);
      expect(challenges(res)).toEqual([
        `DPoP error="insufficient_scope", error_description="The token lacks a required permission", scope="admin:cluster", ${ALGS}`,
      ]);
    });

    describe('refuses every broken proof with 401 invalid_dpop_proof, never a 500', () => {
      const now = () => Math.floor(Date.now() / 1000);
      const attacks: [string, (token: string) => Promise<string | string[]>][] = [
        ['a wrong htm', (token) => client.proof('POST', READ, { accessToken: token })],
        [
          'an htu with another host',
          (token) => client.proof('GET', 'https://evil.example/dpop-fixture/read', { accessToken: token }),
        ],
        [
          'an htu with another path',
          (token) => client.proof('GET', `${PUBLIC_URL}/auth/whoami`, { accessToken: token }),
        ],
        [
          'the instance address as htu instead of the public URL',
          (token) => client.proof('GET', `${a.url}/dpop-fixture/read`, { accessToken: token }),
        ],
        [
          'a stale iat',
          (token) => client.proof('GET', READ, { accessToken: token, claims: { iat: now() - 120 } }),
        ],
        [
          'an iat in the future',
          (token) => client.proof('GET', READ, { accessToken: token, claims: { iat: now() + 60 } }),
        ],
        ['a missing ath', () => client.proof('GET', READ)],
        [
          'the wrong key (not the one the token is bound to)',
          async (token) => (await DpopClient.create()).proof('GET', READ, { accessToken: token }),
        ],
        [
          'HS256',
          async (token) =>
            rawJwt(
              { alg: 'HS256', typ: 'dpop+jwt', jwk: client.publicJwk },
              { jti: 'x', htm: 'GET', htu: READ, iat: now(), ath: token },
              'c2ln',
            ),
        ],
        [
          'none',
          async () =>
            rawJwt(
              { alg: 'none', typ: 'dpop+jwt', jwk: client.publicJwk },
              { jti: 'x', htm: 'GET', htu: READ, iat: now() },
            ),
        ],
        [
          'a jwk with its private part',
          async (token) => {
            const { exportJWK } = await import('jose');
            return client.proof('GET', READ, {
              accessToken: token,
              header: { jwk: await exportJWK(client.privateKey) },
            });
          },
        ],
        [
          'two DPoP headers',
          async (token) => [
            await client.proof('GET', READ, { accessToken: token }),
            await client.proof('GET', READ, { accessToken: token }),
          ],
        ],
        [
          'a 10 KiB jti',
          (token) => client.proof('GET', READ, { accessToken: token, claims: { jti: 'j'.repeat(10240) } }),
        ],
        ['garbage', async () => '!!!'],
      ];

      it.each(attacks)('%s', async (_name, attack) => {
        const token = await boundToken();
        const res = await dpopGet(a, token, await attack(token));
        expect([res.status, res.body.reason]).toEqual([401, 'invalid_dpop_proof']);
        expect(challenges(res)).toEqual([
          'Bearer',
          `DPoP error="invalid_dpop_proof", error_description="The DPoP proof is invalid", ${ALGS}`,
        ]);
        expect(JSON.stringify(res.body)).not.toContain(token);
      });

      it('no DPoP header at all', async () => {
        const token = await boundToken();
        const res = await a.http().get('/dpop-fixture/read').set('Authorization', `DPoP ${token}`);
        expect([res.status, res.body.reason]).toEqual([401, 'invalid_dpop_proof']);
      });
    });

    it('takes htu from the configured public URL, never from a forged Host or X-Forwarded-Host', async () => {
      const token = await boundToken();
      const forged = await dpopGet(
        a,
        token,
        await client.proof('GET', 'https://evil.example/dpop-fixture/read', { accessToken: token }),
      )
        .set('Host', 'evil.example')
        .set('X-Forwarded-Host', 'evil.example')
        .set('X-Forwarded-Proto', 'https');
      expect([forged.status, forged.body.reason]).toEqual([401, 'invalid_dpop_proof']);
      // The honest proof passes whatever Host says: the header is not consulted at all.
      const honest = await dpopGet(a, token, await client.proof('GET', READ, { accessToken: token })).set(
        'Host',
        'evil.example',
      );
      expect(honest.status).toBe(200);
    });

    it('lets browser clients read the challenges and the nonce (CORS)', async () => {
      const res = await a.http().get('/dpop-fixture/read').set('Origin', 'https://app.example');
      expect(res.headers['access-control-expose-headers']).toMatch(/WWW-Authenticate.*DPoP-Nonce/);
    });

    it('publishes the DPoP settings at /auth/config', async () => {
      const res = await a.http().get('/auth/config');
      expect(res.body).toMatchObject({
        dpop: { enabled: true, required: false, route_enforcement: false, nonces: false },
        dpop_signing_alg_values_supported: ['ES256', 'PS256', 'RS256', 'EdDSA'],
        dpop_bound_access_tokens_required: false,
      });
    });
  });

  describe('with Redis down', () => {
    let proxy: TcpProxy;
    let app: TestApp;
    beforeAll(async () => {
      proxy = await TcpProxy.start(REDIS);
      app = await startTestApp(dpopEnv({ REDIS_URL: proxy.url }), [DpopFixtureModule]);
    });
    afterAll(async () => {
      await app.close();
      await proxy.down();
    });

    it('answers DPoP requests 503, never skipping the replay check, and serves them again when it returns', async () => {
      const token = await boundToken();
      await proxy.down();
      const proof = await client.proof('GET', READ, { accessToken: token });
      const down = await app
        .http()
        .get('/dpop-fixture/read')
        .set('Authorization', `DPoP ${token}`)
        .set('DPoP', proof);
      expect([down.status, down.body.reason]).toEqual([503, 'service_unavailable']);
      await proxy.up();
      // The proof refused during the outage was not remembered as used: it is still good once.
      const back = await waitFor(
        async () => {
          const res = await app
            .http()
            .get('/dpop-fixture/read')
            .set('Authorization', `DPoP ${token}`)
            .set('DPoP', proof);
          return res.status === 503 ? undefined : res;
        },
        { what: 'Redis back', timeoutMs: 10_000 },
      );
      expect((back as Response).status).toBe(200);
    });
  });

  describe('replay entries', () => {
    let app: TestApp;
    let redis: Redis;
    const prefix = runRedisPrefix(`dpop-expiry-w${process.env.JEST_WORKER_ID}`);
    beforeAll(async () => {
      // A proof window of a few seconds (3 + 2 × 1), so the entries' expiry is observed without a long wait.
      app = await startTestApp(
        dpopEnv({
          ALPHASWARM_JOBS_QUEUE_PREFIX: prefix,
          ALPHASWARM_DPOP_PROOF_MAX_AGE_SECONDS: '3',
          ALPHASWARM_DPOP_CLOCK_SKEW_SECONDS: '1',
        }),
        [DpopFixtureModule],
      );
      redis = new Redis(REDIS_URL);
    });
    afterAll(async () => {
      await app.close();
      redis.disconnect();
    });

    const keyCount = async () => (await redis.keys(`${prefix}:dpop:jti:*`)).length;

    it('stay bounded under load: one per accepted proof, each expiring with the proof window', async () => {
      const token = await boundToken();
      const store = app.app.get(DpopReplayStore);
      const proofs = await Promise.all(
        Array.from({ length: 100 }, () => client.proof('GET', READ, { accessToken: token })),
      );
      const statuses = await Promise.all(
        proofs.map(
          async (proof) =>
            (
              await app
                .http()
                .get('/dpop-fixture/read')
                .set('Authorization', `DPoP ${token}`)
                .set('DPoP', proof)
            ).status,
        ),
      );
      expect(statuses.every((status) => status === 200)).toBe(true);
      const count = await keyCount();
      // Some may already have expired on a slow machine; none is ever kept longer than the window.
      expect(count).toBeGreaterThan(0);
      expect(count).toBeLessThanOrEqual(100);
      const sampleKey = store.keyOf(
        READ,
        JSON.parse(Buffer.from(proofs[99].split('.')[1], 'base64url').toString()).jti,
      );
      const ttl = await redis.pttl(sampleKey);
      expect(ttl === -2 || (ttl > 0 && ttl <= store.windowSeconds * 1000)).toBe(true);
      await waitFor(async () => (await keyCount()) === 0, {
        what: 'every replay entry expired',
        timeoutMs: 15_000,
        intervalMs: 200,
      });
    });
  });

  describe('required everywhere', () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startTestApp(dpopEnv({ ALPHASWARM_AUTH0_DPOP_REQUIRED: 'true' }), [DpopFixtureModule]);
    });
    afterAll(() => app.close());

    it('refuses a plain bearer token with 401 dpop_required and offers only DPoP', async () => {
      const res = await app
        .http()
        .get('/dpop-fixture/read')
        .auth(await issuer.token(), { type: 'bearer' });
      expect([res.status, res.body.reason]).toEqual([401, 'dpop_required']);
      expect(challenges(res)).toEqual([`DPoP ${ALGS}`]);
      const anonymous = await app.http().get('/dpop-fixture/read');
      expect(challenges(anonymous)).toEqual([`DPoP ${ALGS}`]);
    });

    it('still calls a Bearer header that is not one token malformed, before saying DPoP is required', async () => {
      const token = await issuer.token();
      for (const header of [`Bearer ${token} ${token}`, `Bearer ${token}!`, 'Bearer a\u00e9b']) {
        const res = await app.http().get('/dpop-fixture/read').set('Authorization', header);
        expect([res.status, res.body.reason]).toEqual([401, 'malformed_token']);
      }
    });

    it('serves a DPoP request', async () => {
      const token = await boundToken();
      const res = await app
        .http()
        .get('/dpop-fixture/read')
        .set('Authorization', `DPoP ${token}`)
        .set('DPoP', await client.proof('GET', READ, { accessToken: token }));
      expect(res.status).toBe(200);
    });

    it('publishes that bound tokens are required', async () => {
      expect((await app.http().get('/auth/config')).body.dpop_bound_access_tokens_required).toBe(true);
    });
  });

  describe('enforced per route (ALPHASWARM_DPOP_ENFORCEMENT_ENABLED)', () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startTestApp(dpopEnv({ ALPHASWARM_DPOP_ENFORCEMENT_ENABLED: 'true' }), [DpopFixtureModule]);
    });
    afterAll(() => app.close());

    const mfa = () => ({ amr: ['mfa'], auth_time: Math.floor(Date.now() / 1000) });

    it('refuses a bearer token on a @RequireDpop() route and serves a DPoP request there', async () => {
      const bearer = await app
        .http()
        .post('/dpop-fixture/rotate')
        .auth(await issuer.token(), { type: 'bearer' });
      expect([bearer.status, bearer.body.reason]).toEqual([401, 'dpop_required']);
      expect(challenges(bearer)).toEqual([`DPoP ${ALGS}`]);
      const token = await boundToken();
      const res = await app
        .http()
        .post('/dpop-fixture/rotate')
        .set('Authorization', `DPoP ${token}`)
        .set('DPoP', await client.proof('POST', `${PUBLIC_URL}/dpop-fixture/rotate`, { accessToken: token }));
      expect([res.status, res.body]).toEqual([201, { rotated: true }]);
    });

    it('demands DPoP on @StepUp routes too, and on no other route', async () => {
      const bearer = await app
        .http()
        .get('/dpop-fixture/step-up')
        .auth(await issuer.token(mfa()), { type: 'bearer' });
      expect([bearer.status, bearer.body.reason]).toEqual([401, 'dpop_required']);
      const token = await boundToken(mfa());
      const dpop = await app
        .http()
        .get('/dpop-fixture/step-up')
        .set('Authorization', `DPoP ${token}`)
        .set('DPoP', await client.proof('GET', `${PUBLIC_URL}/dpop-fixture/step-up`, { accessToken: token }));
      expect(dpop.status).toBe(200);
      const plain = await app
        .http()
        .get('/dpop-fixture/read')
        .auth(await issuer.token(), { type: 'bearer' });
      expect(plain.status).toBe(200);
    });
  });

  describe('server nonces across instances', () => {
    const secret = 'n'.repeat(48);
    let a: TestApp;
    let b: TestApp;
    beforeAll(async () => {
      const env = dpopEnv({ ALPHASWARM_DPOP_NONCE_ENABLED: 'true', ALPHASWARM_DPOP_NONCE_SECRET: secret });
      [a, b] = await Promise.all([
        startTestApp(env, [DpopFixtureModule]),
        startTestApp(env, [DpopFixtureModule]),
      ]);
    });
    afterAll(() => Promise.all([a.close(), b.close()]));

    const send = async (app: TestApp, token: string, nonce?: string) =>
      app
        .http()
        .get('/dpop-fixture/read')
        .set('Authorization', `DPoP ${token}`)
        .set('DPoP', await client.proof('GET', READ, { accessToken: token, nonce }));

    /** A nonce as the service makes them, for a window `offset` windows from now. */
    const nonceOf = (offset: number) => {
      const window = Math.floor(Date.now() / 300_000) + offset;
      return `${window.toString(36)}.${createHmac('sha256', secret).update(`alphaswarm-dpop-nonce:${window}`).digest('base64url')}`;
    };

    it('asks for a nonce, accepts it on another instance and refreshes it on success', async () => {
      const token = await boundToken();
      const first = await send(a, token);
      expect([first.status, first.body.reason, first.body.error]).toEqual([
        401,
        'invalid_dpop_proof',
        'use_dpop_nonce',
      ]);
      const nonce = first.headers['dpop-nonce'];
      expect(typeof nonce).toBe('string');
      expect(challenges(first)).toEqual([
        'Bearer',
        `DPoP error="use_dpop_nonce", error_description="The DPoP proof must carry the nonce this response provides in DPoP-Nonce", ${ALGS}`,
      ]);
      const second = await send(b, token, nonce);
      expect(second.status).toBe(200);
      expect(second.headers['dpop-nonce']).toBe(nonce);
    });

    it('accepts the previous window nonce, refuses one two windows old, one from the future and a forged one', async () => {
      const token = await boundToken();
      expect((await send(a, token, nonceOf(-1))).status).toBe(200);
      for (const stale of [nonceOf(-2), nonceOf(1), `${nonceOf(0).split('.')[0]}.${'A'.repeat(43)}`]) {
        const res = await send(b, token, stale);
        expect([res.status, res.body.error]).toEqual([401, 'use_dpop_nonce']);
      }
    });
  });

  describe('the local issuer binds the tokens it mints', () => {
    const clientSecret = 'local-client-secret-0123456789';
    let app: TestApp;
    beforeAll(async () => {
      app = await startTestApp(
        {
          ALPHASWARM_AUTH0_DPOP_ENABLED: 'true',
          ALPHASWARM_AUTH_LOCAL_CLIENTS: JSON.stringify([
            { client_id: 'ci', client_secret: clientSecret, permissions: ['read:portfolio'] },
          ]),
        },
        [DpopFixtureModule],
      );
    });
    afterAll(() => app.close());

    const claimsOf = (token: string) =>
      JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
    const tokenRequest = (proof?: string) => {
      const req = app.http().post('/oauth/token').type('form').send({
        grant_type: 'client_credentials',
        client_id: 'ci',
        client_secret: clientSecret,
      });
      return proof === undefined ? req : req.set('DPoP', proof);
    };

    it('issues a DPoP token for a proof at /oauth/token, usable only with proofs of that key', async () => {
      const issued = await tokenRequest(await client.proof('POST', `${app.url}/oauth/token`));
      expect([issued.status, issued.body.token_type]).toEqual([200, 'DPoP']);
      const token = issued.body.access_token as string;
      expect(claimsOf(token).cnf).toEqual({ jkt: client.jkt });
      const used = await app
        .http()
        .get('/dpop-fixture/read')
        .set('Authorization', `DPoP ${token}`)
        .set('DPoP', await client.proof('GET', `${app.url}/dpop-fixture/read`, { accessToken: token }));
      expect([used.status, used.body.dpopJkt]).toEqual([200, client.jkt]);
      const bearer = await app.http().get('/dpop-fixture/read').auth(token, { type: 'bearer' });
      expect([bearer.status, bearer.body.reason]).toEqual([401, 'dpop_required']);
    });

    it('issues a bearer token without a proof, and refuses a bad or replayed proof with 400 invalid_dpop_proof', async () => {
      const plain = await tokenRequest();
      expect([plain.status, plain.body.token_type, claimsOf(plain.body.access_token as string).cnf]).toEqual([
        200,
        'Bearer',
        undefined,
      ]);
      const wrongUrl = await tokenRequest(await client.proof('POST', `${app.url}/auth/local/login`));
      expect([wrongUrl.status, wrongUrl.body.error]).toEqual([400, 'invalid_dpop_proof']);
      const proof = await client.proof('POST', `${app.url}/oauth/token`);
      expect((await tokenRequest(proof)).status).toBe(200);
      const replayed = await tokenRequest(proof);
      expect([replayed.status, replayed.body.error]).toEqual([400, 'invalid_dpop_proof']);
    });

    it('mints a bound user token for a given key thumbprint (npm run token -- --dpop-jkt)', async () => {
      const res = await app.http().post('/auth/local/login').send({ dpop_jkt: client.jkt });
      expect([res.status, res.body.token_type]).toEqual([200, 'DPoP']);
      expect(claimsOf(res.body.access_token as string).cnf).toEqual({ jkt: client.jkt });
      const bad = await app.http().post('/auth/local/login').send({ dpop_jkt: 'not a thumbprint' });
      expect(bad.status).toBe(400);
    });
  });
});

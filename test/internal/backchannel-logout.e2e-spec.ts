import { randomUUID } from 'node:crypto';
import { base64url, SignJWT } from 'jose';
import { sample, startTestApp, type TestApp } from '../support/app';
import { newKey, TestIssuer } from '../support/issuer';
import { REDIS } from '../support/services';
import { TcpProxy } from '../support/tcp-proxy';
import { waitFor } from '../support/wait';
import { freshSubject, revocationLedgerRows, sharedQueueEnv, storedRevocation, whoami } from './support';

const PATH = '/_internal/oidc/backchannel-logout';
const CLIENT = 'rp-client-1';
const EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('POST /_internal/oidc/backchannel-logout', () => {
  let issuer: TestIssuer;
  let env: Record<string, string>;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    env = {
      ...issuer.env(),
      ...sharedQueueEnv(),
      ALPHASWARM_AUTH_BACKCHANNEL_CLIENT_IDS: `other-client,${CLIENT}`,
    };
    [a, b] = await Promise.all([startTestApp(env), startTestApp(env)]);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    await issuer.stop();
  });

  /** The claims of a valid logout token for `sub`, as an OP sends it (§2.4). */
  const claims = (sub: string, overrides: Record<string, unknown> = {}) => {
    const iat = nowSeconds();
    return {
      iss: issuer.url,
      aud: CLIENT,
      iat,
      exp: iat + 120,
      jti: randomUUID(),
      sub,
      sid: `sid-${randomUUID()}`,
      events: { [EVENT]: {} },
      ...overrides,
    };
  };
  const logoutToken = (
    payload: Record<string, unknown>,
    header: Record<string, unknown> = { typ: 'logout+jwt' },
  ) => issuer.signPayload(payload, { header });

  const post = (app: TestApp, token: string) =>
    app.http().post(PATH).type('form').send({ logout_token: token });

  it('revokes the user on every instance: 200, no-store; their older token is refused, a newer one passes', async () => {
    const sub = freshSubject();
    const old = await issuer.token({ sub, iat: nowSeconds() - 60 });
    expect(await whoami(b, old)).toEqual([200, undefined]);

    const payload = claims(sub);
    const res = await post(a, await logoutToken(payload));
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    await waitFor(async () => (await whoami(b, old))[0] === 401, { timeoutMs: 1000, what: 'B refusing' });
    expect(await whoami(b, old)).toEqual([401, 'token_revoked']);

    const fresh = await issuer.token({ sub, iat: payload.iat + 1 });
    expect(await whoami(b, fresh)).toEqual([200, undefined]);
    expect(await revocationLedgerRows(a, sub)).toMatchObject([
      {
        outcome: 'success',
        details: {
          source: 'oidc_backchannel_logout',
          event_types: ['backchannel_logout'],
          logout_token_jti: payload.jti,
        },
      },
    ]);
  });

  it('accepts a token without typ, or typed JWT, addressed to the client among several audiences', async () => {
    for (const [header, aud] of [
      [{ typ: undefined }, [CLIENT, 'someone-else']],
      [{ typ: 'JWT' }, CLIENT],
    ] as const) {
      const sub = freshSubject();
      const res = await post(a, await logoutToken(claims(sub, { aud }), header));
      expect(res.status).toBe(200);
      expect(await storedRevocation(a, sub)).toBeDefined();
    }
  });

  it('refuses a replayed jti with 400, on the instance that saw it and on any other', async () => {
    const token = await logoutToken(claims(freshSubject()));
    expect((await post(a, token)).status).toBe(200);
    for (const app of [a, b]) {
      const res = await post(app, token);
      expect([res.status, res.body.reason]).toEqual([400, 'invalid_request']);
      expect(res.body.error_description).toMatch(/used before/);
    }
    expect(
      sample(await a.metrics(), 'alphaswarm_backchannel_logout_total', { outcome: 'replayed' }),
    ).toBeGreaterThan(0);
  });

  describe('attacks: each answered 400, revoking nothing', () => {
    const cases: [string, (sub: string) => Promise<string>, RegExp][] = [
      [
        'a signature by a key the issuer never published',
        async (sub) =>
          issuer.signPayload(claims(sub), {
            key: { ...(await newKey()), kid: issuer.key.kid },
            header: { typ: 'logout+jwt' },
          }),
        /signature does not verify/,
      ],
      [
        'a key id the issuer does not publish',
        async (sub) =>
          issuer.signPayload(claims(sub), { key: await newKey(), header: { typ: 'logout+jwt' } }),
        /no key of the issuer/,
      ],
      [
        'a wrong audience',
        (sub) => logoutToken(claims(sub, { aud: 'https://api.test.alphaswarm/' })),
        /not addressed to this client/,
      ],
      [
        'another issuer',
        (sub) => logoutToken(claims(sub, { iss: 'https://evil.example/' })),
        /trusted issuer/,
      ],
      ['a nonce (an ID token)', (sub) => logoutToken(claims(sub, { nonce: 'n-0S6_WzA2Mj' })), /nonce/],
      [
        'no events claim',
        (sub) => logoutToken(claims(sub, { events: undefined })),
        /back-channel logout event/,
      ],
      [
        'events without the back-channel member',
        (sub) => logoutToken(claims(sub, { events: { 'urn:other': {} } })),
        /back-channel logout event/,
      ],
      [
        'the back-channel member not an object',
        (sub) => logoutToken(claims(sub, { events: { [EVENT]: true } })),
        /back-channel logout event/,
      ],
      [
        'a stale iat',
        (sub) => logoutToken(claims(sub, { iat: nowSeconds() - 600, exp: nowSeconds() + 60 })),
        /not fresh/,
      ],
      [
        'an iat in the future',
        (sub) => logoutToken(claims(sub, { iat: nowSeconds() + 600, exp: nowSeconds() + 720 })),
        /not fresh/,
      ],
      [
        'an expired token',
        (sub) => logoutToken(claims(sub, { iat: nowSeconds() - 100, exp: nowSeconds() - 60 })),
        /expired/,
      ],
      ['no exp', (sub) => logoutToken(claims(sub, { exp: undefined })), /exp/],
      ['no jti', (sub) => logoutToken(claims(sub, { jti: undefined })), /jti/],
      [
        'neither sub nor sid',
        (sub) => logoutToken(claims(sub, { sub: undefined, sid: undefined })),
        /no sub or sid/,
      ],
      ['a sid without sub', (sub) => logoutToken(claims(sub, { sub: undefined })), /sid alone/],
      ['an empty sub', () => logoutToken(claims('', {})), /invalid sub/],
      [
        'an access token (typ at+jwt)',
        (sub) => logoutToken(claims(sub), { typ: 'at+jwt' }),
        /type of another kind/,
      ],
      [
        'alg none',
        async (sub) =>
          `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'logout+jwt' }))}.${base64url.encode(JSON.stringify(claims(sub)))}.`,
        /algorithm/,
      ],
      [
        'HS256 keyed with the public key',
        async (sub) =>
          new SignJWT(claims(sub))
            .setProtectedHeader({ alg: 'HS256', kid: issuer.key.kid })
            .sign(new TextEncoder().encode(JSON.stringify(issuer.key.publicJwk))),
        /algorithm/,
      ],
      ['garbage', async () => 'not.a.jwt', /not a JWT/],
    ];

    it.each(cases)('%s', async (_name, make, problem) => {
      const sub = freshSubject();
      const old = await issuer.token({ sub, iat: nowSeconds() - 60 });
      const res = await post(a, await make(sub));
      expect([res.status, res.body.reason]).toEqual([400, 'invalid_request']);
      expect(res.body.error_description).toMatch(problem);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(await storedRevocation(a, sub)).toBeUndefined();
      expect(await whoami(a, old)).toEqual([200, undefined]);
    });

    it('a rejected token leaves its jti unused: the same jti in a valid token is still accepted', async () => {
      const sub = freshSubject();
      const jti = randomUUID();
      expect((await post(a, await logoutToken(claims(sub, { jti, aud: 'wrong' })))).status).toBe(400);
      expect((await post(a, await logoutToken(claims(sub, { jti })))).status).toBe(200);
    });
  });

  describe('malformed requests', () => {
    it.each([
      ['no logout_token', (r: ReturnType<TestApp['http']>) => r.post(PATH).type('form').send({ token: 'x' })],
      [
        'two logout_token values',
        (r: ReturnType<TestApp['http']>) => r.post(PATH).type('form').send('logout_token=a&logout_token=b'),
      ],
      ['an empty body', (r: ReturnType<TestApp['http']>) => r.post(PATH).type('form').send('')],
      ['a JSON body', (r: ReturnType<TestApp['http']>) => r.post(PATH).send({ logout_token: 7 })],
    ])('answers 400 to %s', async (_name, send) => {
      const res = await send(a.http());
      expect([res.status, res.body.reason]).toEqual([400, 'invalid_request']);
    });
  });

  it('refuses every logout token when no client is configured', async () => {
    const bare = await startTestApp({ ...issuer.env(), ...sharedQueueEnv() });
    try {
      const res = await post(bare, await logoutToken(claims(freshSubject())));
      expect(res.status).toBe(400);
      expect(res.body.error_description).toMatch(/not configured/);
    } finally {
      await bare.close();
    }
  });

  describe('with Redis unreachable', () => {
    let proxy: TcpProxy;
    let c: TestApp;

    beforeAll(async () => {
      proxy = await TcpProxy.start(REDIS);
      c = await startTestApp({ ...env, REDIS_URL: proxy.url });
    });
    afterAll(async () => {
      await c.close();
      await proxy.down();
    });

    it('answers 503 and keeps nothing, so the OP can deliver the same token again once Redis is back', async () => {
      const sub = freshSubject();
      const token = await logoutToken(claims(sub));
      await proxy.down();
      const refused = await post(c, token);
      expect([refused.status, refused.body.reason]).toEqual([503, 'service_unavailable']);
      expect(await storedRevocation(a, sub)).toBeUndefined();

      await proxy.up();
      await waitFor(async () => (await post(c, token)).status === 200, {
        timeoutMs: 10_000,
        what: 'the redelivery',
      });
      expect(await storedRevocation(a, sub)).toBeDefined();
    });
  });
});

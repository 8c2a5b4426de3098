import { Agent, get as httpGet } from 'node:http';
import { exportJWK } from 'jose';
import { sample, startTestApp, type TestApp } from '../support/app';
import { clockReaches, waitFor } from '../support/wait';
import { VerifiedTokenCache } from '../../src/identity/cache/verified-token-cache';
import { FixtureModule } from '../support/fixture.module';
import { newKey, TestIssuer } from '../support/issuer';

const PORTFOLIO = { permissions: ['read:portfolio'] };

/** An app warmed against a fresh issuer; each describe gets its own, so fetch budgets do not mix. */
async function warmApp(env: Record<string, string> = {}): Promise<{ issuer: TestIssuer; t: TestApp }> {
  const issuer = await TestIssuer.start();
  const t = await startTestApp({ ...issuer.env(), ...env }, [FixtureModule]);
  const res = await t
    .http()
    .get('/fixture/portfolio')
    .set('Authorization', `Bearer ${await issuer.token(PORTFOLIO)}`);
  expect(res.status).toBe(200);
  return { issuer, t };
}

/** The verified-token cache's lookup counter for one result, as /metrics shows it. */
const lookups = async (t: TestApp, result: 'hit' | 'miss') =>
  sample(await t.metrics(), 'alphaswarm_verified_token_cache_total', { result });

const get = (t: TestApp, token: string) =>
  t.http().get('/fixture/portfolio').set('Authorization', `Bearer ${token}`);

interface Answer {
  readonly status: number;
  readonly body: { reason?: string; principal?: { sub?: string } };
  readonly localPort?: number;
}

/** Requests over one kept-alive connection, as an SDK or an MCP client sends them. */
function oneConnection(t: TestApp) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const send = (path: string, token: string) =>
    new Promise<Answer>((resolve, reject) => {
      const request = httpGet(
        `${t.url}${path}`,
        { agent, headers: { authorization: `Bearer ${token}` } },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              body: JSON.parse(text),
              localPort: response.socket?.localPort,
            }),
          );
        },
      );
      request.on('error', reject);
    });
  return { send, close: () => agent.destroy() };
}

describe('JWKS: the IdP answers garbage or fails after the keys were fetched', () => {
  let issuer: TestIssuer;
  let t: TestApp;
  beforeAll(async () => ({ issuer, t } = await warmApp()));
  afterAll(async () => {
    await t.close();
    await issuer.stop();
  });

  const garbage: [string, { status: number; body: string }][] = [
    ['a 500', { status: 500, body: '{"error":"boom"}' }],
    ['an HTML page', { status: 200, body: '<html><body>maintenance</body></html>' }],
    ['keys that are not a list', { status: 200, body: '{"keys":"x"}' }],
    ['an empty body', { status: 200, body: '' }],
    [
      'keys with bad parameters',
      { status: 200, body: '{"keys":[{"kty":"RSA","kid":"bad","n":"%%%","e":"?"}]}' },
    ],
  ];

  it.each(garbage)(
    'after %s, the last good keys keep serving and /readyz shows the staleness',
    async (_name, answer) => {
      issuer.jwksOverride = answer;
      const fetchesBefore = issuer.jwksRequests;
      // A token naming a kid never seen forces a refetch, which gets the garbage.
      const stranger = await newKey();
      const unknown = await get(t, await issuer.token(PORTFOLIO, { key: stranger }));
      expect([unknown.status, unknown.body.reason]).toEqual([401, 'no_matching_key']);
      expect(issuer.jwksRequests).toBe(fetchesBefore + 1);

      expect((await get(t, await issuer.token(PORTFOLIO))).status).toBe(200);
      const ready = await t.http().get('/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body.checks.jwks).toMatchObject({ status: 'stale', keys: 1, error: expect.any(String) });
      expect(
        sample(await t.metrics(), 'alphaswarm_jwks_fetches_total', { outcome: 'error' }),
      ).toBeGreaterThan(0);
      issuer.jwksOverride = undefined;
    },
  );

  it('never uses a published key that carries private members', async () => {
    const leaked = await newKey();
    issuer.extraJwks = [
      { ...(await exportJWK(leaked.privateKey)), kid: leaked.kid, alg: 'RS256', use: 'sig' },
    ];
    const res = await get(t, await issuer.token(PORTFOLIO, { key: leaked }));
    expect([res.status, res.body.reason]).toEqual([401, 'no_matching_key']);
    issuer.extraJwks = [];
  });

  it('exposes the age of the key set as a metric', async () => {
    const metrics = await t.metrics();
    const age = sample(metrics, 'alphaswarm_jwks_age_seconds', {});
    expect(metrics).toContain('alphaswarm_jwks_age_seconds');
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(60);
  });
});

describe('JWKS: refetch limits', () => {
  let issuer: TestIssuer;
  let t: TestApp;
  beforeAll(async () => ({ issuer, t } = await warmApp()));
  afterAll(async () => {
    await t.close();
    await issuer.stop();
  });

  it('refetches for one unknown kid at most once a minute', async () => {
    const stranger = await newKey();
    const before = issuer.jwksRequests;
    for (let i = 0; i < 5; i += 1) {
      expect((await get(t, await issuer.token(PORTFOLIO, { key: stranger }))).body.reason).toBe(
        'no_matching_key',
      );
    }
    expect(issuer.jwksRequests).toBe(before + 1);
  });

  it('shares one in-flight fetch between concurrent requests naming a new key', async () => {
    const rotated = await issuer.addKey();
    issuer.jwksDelayMs = 300;
    const before = issuer.jwksRequests;
    const token = await issuer.token(PORTFOLIO, { key: rotated });
    const answers = await Promise.all(Array.from({ length: 20 }, () => get(t, token)));
    expect(answers.map((res) => res.status)).toEqual(Array(20).fill(200));
    expect(issuer.jwksRequests).toBe(before + 1);
    issuer.jwksDelayMs = 0;
  });

  it('caps refetches at 10 a minute in all, whatever kids arrive', async () => {
    const strangers = await Promise.all(Array.from({ length: 15 }, () => newKey()));
    for (const stranger of strangers) await get(t, await issuer.token(PORTFOLIO, { key: stranger }));
    // The warm-up fetch and the two above count too: 10 in the minute, no more.
    expect(issuer.jwksRequests).toBeLessThanOrEqual(10);
  });
});

describe('JWKS: rotation', () => {
  let issuer: TestIssuer;
  let t: TestApp;
  beforeAll(async () => ({ issuer, t } = await warmApp()));
  afterAll(async () => {
    await t.close();
    await issuer.stop();
  });

  it('accepts a token signed with a newly published key after one refetch', async () => {
    const next = await issuer.addKey();
    const before = issuer.jwksRequests;
    expect((await get(t, await issuer.token(PORTFOLIO, { key: next }))).status).toBe(200);
    expect(issuer.jwksRequests).toBe(before + 1);
  });

  it('does not remember a token whose verification spanned a key set change; the next one is', async () => {
    const next = await issuer.addKey();
    const token = await issuer.token(PORTFOLIO, { key: next });
    expect((await get(t, token)).status).toBe(200); // its kid fetched the new key set meanwhile
    const misses = await lookups(t, 'miss');
    expect((await get(t, token)).status).toBe(200);
    expect(await lookups(t, 'miss')).toBe(misses + 1);
    const hits = await lookups(t, 'hit');
    expect((await get(t, token)).status).toBe(200);
    expect(await lookups(t, 'hit')).toBe(hits + 1);
  });

  it('stops verifying a removed key after the next refresh, even a token it had cached', async () => {
    const oldToken = await issuer.token(PORTFOLIO);
    expect((await get(t, oldToken)).status).toBe(200); // now cached as verified
    issuer.removeKey(issuer.key.kid);
    // The next refresh: here forced by a token naming a kid never seen.
    await get(t, await issuer.token(PORTFOLIO, { key: await newKey() }));
    const res = await get(t, oldToken);
    expect([res.status, res.body.reason]).toEqual([401, 'no_matching_key']);
  });
});

describe('JWKS: a key replaced under its kid', () => {
  let issuer: TestIssuer;
  let t: TestApp;
  beforeAll(async () => ({ issuer, t } = await warmApp()));
  afterAll(async () => {
    await t.close();
    await issuer.stop();
  });

  it('stops verifying a token it had cached when the key under its kid is replaced', async () => {
    const replaced = await newKey();
    const kid = issuer.key.kid;
    const oldToken = await issuer.token(PORTFOLIO);
    expect((await get(t, oldToken)).status).toBe(200); // now cached as verified
    issuer.publishKey({ ...replaced, kid, publicJwk: { ...replaced.publicJwk, kid } });
    // The next refresh: here forced by a token naming a kid never seen.
    await get(t, await issuer.token(PORTFOLIO, { key: await newKey() }));
    const res = await get(t, oldToken);
    expect([res.status, res.body.reason]).toEqual([401, 'invalid_signature']);
    // The new key material under the same kid verifies.
    const fresh = await issuer.token(PORTFOLIO, { key: { ...replaced, kid } });
    expect((await get(t, fresh)).status).toBe(200);
  });

  it('stops a token verified on a kept-alive connection, on that same connection, when its key is replaced', async () => {
    const replaced = await newKey();
    const previous = await issuer.addKey();
    const token = await issuer.token(PORTFOLIO, { key: previous });
    const connection = oneConnection(t);
    try {
      const first = await connection.send('/fixture/portfolio', token);
      expect(first.status).toBe(200);
      issuer.publishKey({
        ...replaced,
        kid: previous.kid,
        publicJwk: { ...replaced.publicJwk, kid: previous.kid },
      });
      await get(t, await issuer.token(PORTFOLIO, { key: await newKey() })); // forces the refresh
      const again = await connection.send('/fixture/portfolio', token);
      expect([again.status, again.body.reason, again.localPort]).toEqual([
        401,
        'invalid_signature',
        first.localPort,
      ]);
    } finally {
      connection.close();
    }
  });
});

describe('JWKS: a slow or dead IdP', () => {
  it('delays no request while the cache is warm: a known key answers while a refetch hangs', async () => {
    const { issuer, t } = await warmApp();
    try {
      issuer.jwksDelayMs = 3000;
      const order: string[] = [];
      const fetches = issuer.jwksRequests;
      const slow = get(t, await issuer.token(PORTFOLIO, { key: await newKey() })).then((res) => {
        order.push('refetch');
        return res;
      });
      await waitFor(() => issuer.jwksRequests > fetches, { what: 'the refetch reaching the IdP' });
      const fast = await get(t, await issuer.token(PORTFOLIO));
      order.push('known key');
      expect(fast.status).toBe(200);
      expect((await slow).body.reason).toBe('no_matching_key');
      expect(order).toEqual(['known key', 'refetch']);
    } finally {
      issuer.jwksDelayMs = 0;
      await t.close();
      await issuer.stop();
    }
  });

  it('answers 401 jwks_unreachable within the 5 s timeout when the IdP never answers, never hangs', async () => {
    const issuer = await TestIssuer.start();
    issuer.jwksDelayMs = 60_000;
    const t = await startTestApp(issuer.env(), [FixtureModule]);
    try {
      const started = Date.now();
      const res = await get(t, await issuer.token(PORTFOLIO));
      expect([res.status, res.body.reason]).toEqual([401, 'jwks_unreachable']);
      expect(Date.now() - started).toBeLessThan(7000);
      expect((await t.http().get('/readyz')).status).toBe(503);
    } finally {
      await t.close();
      await issuer.stop();
    }
  }, 20_000);
});

describe('JWKS: an IdP that has never answered', () => {
  it('caps fetches under a flood of tokens: each gets 401 jwks_unreachable, the IdP at most 10 fetches a minute', async () => {
    const issuer = await TestIssuer.start();
    issuer.jwksOverride = { status: 500, body: 'down' };
    const t = await startTestApp(issuer.env(), [FixtureModule]);
    try {
      const token = await issuer.token(PORTFOLIO);
      for (let i = 0; i < 40; i += 1) {
        const res = await get(t, token);
        expect([res.status, res.body.reason]).toEqual([401, 'jwks_unreachable']);
      }
      // Background retries and request-triggered fetches together stay within the minute's cap.
      expect(issuer.jwksRequests).toBeLessThanOrEqual(10);
      expect(issuer.jwksRequests).toBeGreaterThan(0);
    } finally {
      await t.close();
      await issuer.stop();
    }
  });
});

describe('JWKS: key types', () => {
  it('verifies ES256 tokens when the algorithm is configured, and refuses an alg the key was not published for', async () => {
    const issuer = await TestIssuer.start();
    const ec = await newKey('ES256');
    const t = await startTestApp({ ...issuer.env(), ALPHASWARM_AUTH_OIDC_ALGORITHMS: 'RS256,ES256,PS256' }, [
      FixtureModule,
    ]);
    try {
      issuer.extraJwks = [{ ...ec.publicJwk }];
      expect((await get(t, await issuer.token(PORTFOLIO, { key: ec }))).status).toBe(200);
      // The RSA key is published for RS256 only: a PS256 signature by the same key is refused.
      const ps = { ...issuer.key, alg: 'PS256' };
      const res = await get(t, await issuer.token(PORTFOLIO, { key: ps }));
      expect([res.status, res.body.reason]).toEqual([401, 'forbidden_algorithm']);
    } finally {
      await t.close();
      await issuer.stop();
    }
  });
});

describe('verified-token cache', () => {
  let issuer: TestIssuer;
  let t: TestApp;
  beforeAll(async () => ({ issuer, t } = await warmApp({ ALPHASWARM_AUTH_CLOCK_SKEW_SECONDS: '0' })));
  afterAll(async () => {
    await t.close();
    await issuer.stop();
  });

  it('answers a token seen before from the cache', async () => {
    const token = await issuer.token(PORTFOLIO);
    expect((await get(t, token)).status).toBe(200);
    const hits = await lookups(t, 'hit');
    expect((await get(t, token)).status).toBe(200);
    expect(await lookups(t, 'hit')).toBe(hits + 1);
  });

  it('still runs the route checks on a cache hit: scope is checked every time', async () => {
    const token = await issuer.token({ permissions: ['read:strategy'] });
    expect((await t.http().get('/auth/whoami').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    const res = await get(t, token); // cached now, but lacks read:portfolio
    expect([res.status, res.body.reason]).toEqual([403, 'insufficient_scope']);
  });

  it('finds a cached token under any accepted spelling of the scheme', async () => {
    const token = await issuer.token(PORTFOLIO);
    expect((await get(t, token)).status).toBe(200);
    const hits = await lookups(t, 'hit');
    const res = await t.http().get('/fixture/portfolio').set('Authorization', `bearer   ${token}`);
    expect(res.status).toBe(200);
    expect(await lookups(t, 'hit')).toBe(hits + 1);
  });

  it('refuses a cached token with anything after it (malformed_token), or under another scheme (missing_token)', async () => {
    const token = await issuer.token(PORTFOLIO);
    expect((await get(t, token)).status).toBe(200);
    const hits = await lookups(t, 'hit');
    for (const [header, reason] of [
      [`Bearer ${token} ${token}`, 'malformed_token'],
      [`Bearer ${token}!`, 'malformed_token'],
      [`Bearer ${token},x`, 'malformed_token'],
      [`Basic ${token}`, 'missing_token'],
    ]) {
      const res = await t.http().get('/fixture/portfolio').set('Authorization', header);
      expect([header.slice(-8), res.status, res.body.reason]).toEqual([header.slice(-8), 401, reason]);
    }
    expect(await lookups(t, 'hit')).toBe(hits);
  });

  it("forgets a subject's tokens when asked (the revocation seam): the next request verifies again", async () => {
    const sub = `auth0|forget-${Date.now()}`;
    const token = await issuer.token({ ...PORTFOLIO, sub });
    const other = await issuer.token(PORTFOLIO);
    expect((await get(t, token)).status).toBe(200);
    expect((await get(t, other)).status).toBe(200);
    t.app.get(VerifiedTokenCache).forgetSubject(sub);
    const [hits, misses] = [await lookups(t, 'hit'), await lookups(t, 'miss')];
    expect((await get(t, token)).status).toBe(200);
    expect((await get(t, other)).status).toBe(200);
    expect([await lookups(t, 'hit'), await lookups(t, 'miss')]).toEqual([hits + 1, misses + 1]);
  });

  describe('on one kept-alive connection', () => {
    it('answers each token as itself when tokens alternate, from the cache', async () => {
      const alice = await issuer.token({ ...PORTFOLIO, sub: 'auth0|alice-keepalive' });
      const bob = await issuer.token({ ...PORTFOLIO, sub: 'auth0|bob-keepalive' });
      const connection = oneConnection(t);
      try {
        const ports = new Set<number | undefined>();
        for (let round = 0; round < 3; round += 1) {
          for (const [token, sub] of [
            [alice, 'auth0|alice-keepalive'],
            [bob, 'auth0|bob-keepalive'],
          ]) {
            const res = await connection.send('/auth/whoami', token);
            expect([res.status, res.body.principal?.sub]).toEqual([200, sub]);
            ports.add(res.localPort);
          }
        }
        expect(ports.size).toBe(1);
      } finally {
        connection.close();
      }
    });

    it('refuses a forged token sent after a valid one → invalid_signature', async () => {
      const token = await issuer.token(PORTFOLIO);
      const forged = `${token.slice(0, -4)}AAAA`;
      const connection = oneConnection(t);
      try {
        expect((await connection.send('/fixture/portfolio', token)).status).toBe(200);
        const res = await connection.send('/fixture/portfolio', forged);
        expect([res.status, res.body.reason]).toEqual([401, 'invalid_signature']);
        expect((await connection.send('/fixture/portfolio', token)).status).toBe(200);
      } finally {
        connection.close();
      }
    });

    it('verifies again after the subject is forgotten, and re-checks exp on every request', async () => {
      const sub = `auth0|keepalive-${Date.now()}`;
      const exp = Math.floor(Date.now() / 1000) + 2;
      const token = await issuer.token({ ...PORTFOLIO, sub, exp });
      const connection = oneConnection(t);
      try {
        expect((await connection.send('/fixture/portfolio', token)).status).toBe(200);
        const hits = await lookups(t, 'hit');
        expect((await connection.send('/fixture/portfolio', token)).status).toBe(200);
        expect(await lookups(t, 'hit')).toBe(hits + 1);
        t.app.get(VerifiedTokenCache).forgetSubject(sub);
        const misses = await lookups(t, 'miss');
        expect((await connection.send('/fixture/portfolio', token)).status).toBe(200);
        expect(await lookups(t, 'miss')).toBe(misses + 1);
        await clockReaches(exp); // the app runs with no clock skew: exp itself is the end
        const res = await connection.send('/fixture/portfolio', token);
        expect([res.status, res.body.reason]).toEqual([401, 'expired_token']);
      } finally {
        connection.close();
      }
    });
  });

  it('never caches a token that failed', async () => {
    const forged = `${(await issuer.token(PORTFOLIO)).slice(0, -4)}AAAA`;
    const hits = await lookups(t, 'hit');
    for (let i = 0; i < 3; i += 1) expect((await get(t, forged)).status).toBe(401);
    expect(await lookups(t, 'hit')).toBe(hits);
  });

  it('re-checks exp on every hit: a cached token stops working when it expires', async () => {
    const exp = Math.floor(Date.now() / 1000) + 2;
    const token = await issuer.token({ ...PORTFOLIO, exp });
    expect((await get(t, token)).status).toBe(200);
    await clockReaches(exp); // the app runs with no clock skew: exp itself is the end
    const res = await get(t, token);
    expect([res.status, res.body.reason]).toEqual([401, 'expired_token']);
  });
});

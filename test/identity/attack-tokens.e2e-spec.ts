import { createSign, generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { exportJWK, type JWK } from 'jose';
import { REASON_CODES } from '../../src/identity/errors/reason-codes';
import { startTestApp, type TestApp } from '../support/app';
import { FixtureModule } from '../support/fixture.module';
import { TestIssuer } from '../support/issuer';

/** base64url of a string's UTF-8 bytes, exactly as given (no JSON re-serialisation). */
const b64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

/**
 * A compact RS256 JWS over exactly these header and payload texts. Duplicate members, non-string `alg`
 * and other shapes no honest library emits are signed as written, so only the attack makes them fail.
 */
function signRs256(headerJson: string, payloadJson: string, privateKey: KeyObject): string {
  const signingInput = `${b64url(headerJson)}.${b64url(payloadJson)}`;
  const signature = createSign('RSA-SHA256').update(signingInput).sign(privateKey);
  return `${signingInput}.${signature.toString('base64url')}`;
}

/** JSON object text from members in order, duplicates kept (JSON.stringify cannot write those). */
function jsonObject(members: [string, unknown][]): string {
  return `{${members.map(([name, value]) => `${JSON.stringify(name)}:${JSON.stringify(value)}`).join(',')}}`;
}

/**
 * A second issuer for keys TestIssuer cannot publish: a loopback JWKS serving exactly `jwks`, under its
 * own issuer URL (a second app is pointed at it).
 */
async function startStaticJwks(jwks: JWK[]): Promise<{ url: string; stop: () => Promise<void> }> {
  const server: Server = createServer((request, response) => {
    if (request.url === '/.well-known/jwks.json') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: jwks }));
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const PORTFOLIO = ['read:portfolio'];
const UNAUTHORIZED_CHALLENGE = /^Bearer error="invalid_token", error_description="[^"]*"/;

async function expectRefusedBy(t: TestApp, token: string, reason: string): Promise<void> {
  const res = await t.http().get('/fixture/portfolio').set('Authorization', `Bearer ${token}`);
  expect([res.status, res.body.reason]).toEqual([401, reason]);
  expect(REASON_CODES).toContain(res.body.reason);
  expect(res.headers['www-authenticate']).toMatch(UNAUTHORIZED_CHALLENGE);
}

async function expectAcceptedBy(t: TestApp, authorization: string): Promise<void> {
  const res = await t.http().get('/fixture/portfolio').set('Authorization', authorization);
  expect([res.status, res.body]).toEqual([200, { ok: true }]);
}

describe('attack tokens', () => {
  let issuer: TestIssuer;
  let t: TestApp;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    t = await startTestApp(issuer.env(), [FixtureModule]);
  });
  afterAll(async () => {
    await t.close();
    await issuer.stop();
  });

  const expectRefused = (token: string, reason: string) => expectRefusedBy(t, token, reason);
  const expectAccepted = (token: string) => expectAcceptedBy(t, `Bearer ${token}`);
  /** A token that would be accepted, but for `overrides` / the header members given. */
  const portfolioToken = (overrides: Record<string, unknown> = {}, header?: Record<string, unknown>) =>
    issuer.token({ permissions: PORTFOLIO, ...overrides }, { header });
  /** The standard claims of a valid portfolio token, as ordered members for `jsonObject`. */
  const claimMembers = (): [string, unknown][] => Object.entries(issuer.claims({ permissions: PORTFOLIO }));
  const realHeader = (): [string, unknown][] => [
    ['alg', 'RS256'],
    ['kid', issuer.key.kid],
    ['typ', 'at+jwt'],
  ];
  const privateKey = () => issuer.key.privateKey as KeyObject;

  describe('the hand-built signer (control for the raw-JSON cases below)', () => {
    it('makes a token the service accepts when nothing is wrong with it', async () => {
      await expectAccepted(signRs256(jsonObject(realHeader()), jsonObject(claimMembers()), privateKey()));
    });
  });

  it('refuses b64: false with crit ["b64"] (RFC 7797 unencoded payload) → malformed_token', async () => {
    // The payload segment is ordinary base64url, so a verifier ignoring `b64`/`crit` would accept it.
    const header = jsonObject([...realHeader(), ['b64', false], ['crit', ['b64']]]);
    await expectRefused(signRs256(header, jsonObject(claimMembers()), privateKey()), 'malformed_token');
  });

  describe('kid values', () => {
    it.each([
      ['a path', '../../dev/null'],
      ['SQL', "' OR 1=1--"],
      ['a percent-encoded NUL', '%00'],
      ['a NUL character', '\u0000'],
      ['300 characters', 'k'.repeat(300)],
    ])('refuses a kid that is %s → no_matching_key', async (_name, kid) => {
      await expectRefused(await portfolioToken({}, { kid }), 'no_matching_key');
    });

    it('refuses a 10 KiB kid: the token exceeds the 8 KiB bearer limit → malformed_token', async () => {
      const token = await portfolioToken({}, { kid: 'k'.repeat(10 * 1024) });
      expect(token.length).toBeGreaterThan(8 * 1024);
      await expectRefused(token, 'malformed_token');
    });
  });

  describe('duplicate JSON members (validly signed over the exact bytes)', () => {
    it('refuses a header with "alg" twice → malformed_token', async () => {
      const header = jsonObject([
        ['alg', 'RS256'],
        ['kid', issuer.key.kid],
        ['alg', 'RS256'],
      ]);
      await expectRefused(signRs256(header, jsonObject(claimMembers()), privateKey()), 'malformed_token');
    });

    it('refuses a payload with "sub" twice → malformed_token', async () => {
      // Either reading (first or last wins) would be a valid token: only the duplicate is wrong.
      const payload = jsonObject([...claimMembers(), ['sub', 'auth0|mallory']]);
      await expectRefused(signRs256(jsonObject(realHeader()), payload, privateKey()), 'malformed_token');
    });

    it('refuses a payload with "permissions" twice → malformed_token', async () => {
      const payload = jsonObject([...claimMembers(), ['permissions', ['read:portfolio', 'admin:cluster']]]);
      await expectRefused(signRs256(jsonObject(realHeader()), payload, privateKey()), 'malformed_token');
    });
  });

  describe('header alg', () => {
    it('refuses an alg that is not a string ({"alg": ["RS256"]}) → malformed_token', async () => {
      const header = jsonObject([
        ['alg', ['RS256']],
        ['kid', issuer.key.kid],
        ['typ', 'at+jwt'],
      ]);
      await expectRefused(signRs256(header, jsonObject(claimMembers()), privateKey()), 'malformed_token');
    });
  });

  describe('typ', () => {
    it('accepts typ "JWT" (as Auth0 issues) → 200', async () => {
      await expectAccepted(await portfolioToken({}, { typ: 'JWT' }));
    });

    it('accepts typ "application/at+jwt" (RFC 7515 §4.1.9: the prefix may be written) → 200', async () => {
      await expectAccepted(await portfolioToken({}, { typ: 'application/at+jwt' }));
    });

    it('refuses a header without typ → malformed_token', async () => {
      await expectRefused(await portfolioToken({}, { typ: undefined }), 'malformed_token');
    });

    it('refuses typ "id+jwt" and a typ that is not a string → malformed_token', async () => {
      await expectRefused(await portfolioToken({}, { typ: 'id+jwt' }), 'malformed_token');
      await expectRefused(await portfolioToken({}, { typ: 1 }), 'malformed_token');
    });
  });

  describe('time claims', () => {
    const now = () => Math.floor(Date.now() / 1000);

    it('accepts exp as a float in the future → 200', async () => {
      await expectAccepted(await portfolioToken({ exp: now() + 300.5 }));
    });

    it('refuses exp null → malformed_token', async () => {
      await expectRefused(await portfolioToken({ exp: null }), 'malformed_token');
    });

    it('refuses nbf as a string → malformed_token', async () => {
      await expectRefused(await portfolioToken({ nbf: String(now() - 60) }), 'malformed_token');
    });
  });

  describe('audience and issuer', () => {
    it('refuses an aud array without the API audience → wrong_audience', async () => {
      await expectRefused(
        await portfolioToken({ aud: ['https://someone-else/', 'https://api.test.alphaswarm'] }),
        'wrong_audience',
      );
    });

    it('refuses a token without aud → wrong_audience', async () => {
      const claims = issuer.claims({ permissions: PORTFOLIO });
      delete claims.aud;
      await expectRefused(await issuer.signPayload(claims), 'wrong_audience');
    });

    it('refuses a token without iss → wrong_issuer', async () => {
      const claims = issuer.claims({ permissions: PORTFOLIO });
      delete claims.iss;
      await expectRefused(await issuer.signPayload(claims), 'wrong_issuer');
    });
  });

  describe('permission claims', () => {
    it('refuses permissions given as a string → malformed_token', async () => {
      await expectRefused(await portfolioToken({ permissions: 'read:portfolio' }), 'malformed_token');
    });

    it('refuses scope given as a number → malformed_token', async () => {
      await expectRefused(await portfolioToken({ scope: 42 }), 'malformed_token');
    });
  });

  describe('Authorization scheme (RFC 7235: case-insensitive, 1*SP before the token)', () => {
    it('accepts the lowercase scheme "bearer" → 200', async () => {
      await expectAcceptedBy(t, `bearer ${await portfolioToken()}`);
    });

    it('accepts the uppercase scheme "BEARER" → 200', async () => {
      await expectAcceptedBy(t, `BEARER ${await portfolioToken()}`);
    });

    it('accepts several spaces between the scheme and the token → 200', async () => {
      await expectAcceptedBy(t, `Bearer   ${await portfolioToken()}`);
    });

    it('accepts a header value padded with whitespace at both ends → 200', async () => {
      await expectAcceptedBy(t, `  Bearer ${await portfolioToken()}  `);
    });
  });
});

/*
 * Its own issuer (TestIssuer publishes only keys it generates with jose, which refuses RSA under 2048
 * bits) and its own app, booted only once the suite above has closed its app, so no two apps ever share
 * this process.
 */
describe('attack tokens: a published RSA key under 2048 bits', () => {
  let small: { url: string; stop: () => Promise<void> };
  let smallApp: TestApp;
  const AUDIENCE = 'https://api.test.alphaswarm/';
  const weakKid = `weak-${randomUUID()}`;
  const strongKid = `strong-${randomUUID()}`;
  const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const strong = generateKeyPairSync('rsa', { modulusLength: 2048 });

  beforeAll(async () => {
    small = await startStaticJwks([
      { ...(await exportJWK(weak.publicKey)), kid: weakKid, alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(strong.publicKey)), kid: strongKid, alg: 'RS256', use: 'sig' },
    ]);
    smallApp = await startTestApp(
      {
        ALPHASWARM_AUTH_PROVIDER: 'oidc',
        ALPHASWARM_AUTH_OIDC_ISSUER: small.url,
        ALPHASWARM_AUTH_OIDC_AUDIENCE: AUDIENCE,
      },
      [FixtureModule],
    );
  });
  afterAll(async () => {
    await smallApp?.close();
    await small?.stop();
  });

  const tokenFrom = (kid: string, key: KeyObject) =>
    signRs256(
      jsonObject([
        ['alg', 'RS256'],
        ['kid', kid],
        ['typ', 'at+jwt'],
      ]),
      jsonObject([
        ['iss', small.url],
        ['aud', AUDIENCE],
        ['sub', 'auth0|alice'],
        ['iat', Math.floor(Date.now() / 1000)],
        ['exp', Math.floor(Date.now() / 1000) + 300],
        ['permissions', PORTFOLIO],
      ]),
      key,
    );

  it('accepts a token signed by the 2048-bit key of the same JWKS (control)', async () => {
    await expectAcceptedBy(smallApp, `Bearer ${tokenFrom(strongKid, strong.privateKey)}`);
  });

  it('never uses a published RSA key under 2048 bits: a token signed by a 1024-bit key → no_matching_key', async () => {
    await expectRefusedBy(smallApp, tokenFrom(weakKid, weak.privateKey), 'no_matching_key');
  });
});

import { createSign, type KeyObject } from 'node:crypto';
import { ASYMMETRIC_ALGORITHMS } from '../../src/config/app-config';
import { REASON_CODES } from '../../src/identity/errors/reason-codes';
import { MAX_KEYS_PER_KID } from '../../src/identity/jwt/jwks-key-store';
import { startTestApp, type TestApp } from '../support/app';
import { FixtureModule } from '../support/fixture.module';
import { type IssuerKey, newKey, TestIssuer } from '../support/issuer';

const PORTFOLIO = { permissions: ['read:portfolio'] };
const ALL_ALGORITHMS: readonly string[] = ASYMMETRIC_ALGORITHMS;

/** base64url of these exact bytes. */
const b64url = (bytes: string | Buffer) => Buffer.from(bytes).toString('base64url');

/** RS256 over exactly these header and payload bytes (a BOM, say, is signed as sent). */
function signRs256(header: Buffer | string, payload: Buffer | string, privateKey: KeyObject): string {
  const signingInput = `${b64url(header)}.${b64url(payload)}`;
  const signature = createSign('RSA-SHA256').update(signingInput).sign(privateKey);
  return `${signingInput}.${signature.toString('base64url')}`;
}

describe('one parser: the claims trusted are the ones read from the signed bytes', () => {
  let issuer: TestIssuer;
  let t: TestApp;
  /** One published key per algorithm, and an RSA key published without `alg`. */
  const keys = new Map<string, IssuerKey>();

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    // Published before the first request, so the key set is fetched once (refetches are capped).
    for (const alg of ALL_ALGORITHMS) keys.set(alg, await newKey(alg));
    const rsa = await newKey('RS256');
    keys.set('no-alg', { ...rsa, publicJwk: { ...rsa.publicJwk, alg: undefined } });
    for (const key of keys.values()) issuer.publishKey(key);
    t = await startTestApp({ ...issuer.env(), ALPHASWARM_AUTH_OIDC_ALGORITHMS: ALL_ALGORITHMS.join(',') }, [
      FixtureModule,
    ]);
  });
  afterAll(async () => {
    await t.close();
    await issuer.stop();
  });

  const get = (token: string) => t.http().get('/fixture/portfolio').set('Authorization', `Bearer ${token}`);
  async function expectRefused(token: string, reason: string): Promise<void> {
    const res = await get(token);
    expect([res.status, res.body.reason]).toEqual([401, reason]);
    expect(REASON_CODES).toContain(res.body.reason);
  }
  const header = (members: Record<string, unknown> = {}) =>
    JSON.stringify({ alg: 'RS256', kid: issuer.key.kid, typ: 'at+jwt', ...members });
  const privateKey = () => issuer.key.privateKey as KeyObject;

  it.each(ALL_ALGORITHMS)(
    'verifies a %s signature with the published key, and refuses it altered',
    async (alg) => {
      const key = keys.get(alg) as IssuerKey;
      const token = await issuer.token(PORTFOLIO, { key });
      expect((await get(token)).status).toBe(200);
      const [h, p, s] = token.split('.');
      const flipped = Buffer.from(s, 'base64url');
      flipped[flipped.length - 1] ^= 1;
      await expectRefused(`${h}.${p}.${flipped.toString('base64url')}`, 'invalid_signature');
    },
  );

  it('refuses a key whose type does not suit the alg, when the key names no alg → forbidden_algorithm', async () => {
    const rsa = keys.get('no-alg') as IssuerKey;
    // An ES256 header naming an RSA key: no RSA key verifies an ECDSA signature.
    const forged = `${b64url(JSON.stringify({ alg: 'ES256', kid: rsa.kid, typ: 'at+jwt' }))}.${b64url(
      JSON.stringify(issuer.claims(PORTFOLIO)),
    )}.${b64url(Buffer.alloc(64, 1))}`;
    await expectRefused(forged, 'forbidden_algorithm');
  });

  it('refuses a payload behind a UTF-8 byte-order mark, even signed → malformed_token (not read as a string)', async () => {
    const expired = JSON.stringify(
      issuer.claims({ ...PORTFOLIO, exp: Math.floor(Date.now() / 1000) - 3600 }),
    );
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(expired)]);
    await expectRefused(signRs256(header(), withBom, privateKey()), 'malformed_token');
    const fresh = JSON.stringify(issuer.claims(PORTFOLIO));
    const freshWithBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(fresh)]);
    await expectRefused(signRs256(header(), freshWithBom, privateKey()), 'malformed_token');
    await expectRefused(
      signRs256(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(header())]), fresh, privateKey()),
      'malformed_token',
    );
  });

  it.each([
    ['exp: 1e300', { exp: 1e300 }],
    ['exp past the far-future bound', { exp: 4_102_444_801 }],
    ['nbf: -1', { nbf: -1 }],
    ['iat: -5', { iat: -5 }],
    ['auth_time: 1e300', { auth_time: 1e300 }],
    ['auth_time as a string', { auth_time: '1700000000' }],
    ['nbf as a string', { nbf: '0' }],
  ])(
    'refuses a numeric date out of range or of the wrong type (%s) → malformed_token',
    async (_name, claims) => {
      await expectRefused(await issuer.token({ ...PORTFOLIO, ...claims }), 'malformed_token');
    },
  );

  it('still accepts ordinary dates, a fractional exp and a past nbf', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await issuer.token({ ...PORTFOLIO, nbf: now - 60, exp: now + 300.5, auth_time: now - 10 });
    expect((await get(token)).status).toBe(200);
  });

  it.each([
    ['a number', 42],
    ['an object', { id: 'x' }],
    ['an array', ['x']],
    ['null', null],
  ])('refuses a kid that is %s → malformed_token', async (_name, kid) => {
    await expectRefused(await issuer.token(PORTFOLIO, { header: { kid } }), 'malformed_token');
  });

  it('refuses zip (a JWE header member) in a JWS header → malformed_token', async () => {
    await expectRefused(await issuer.token(PORTFOLIO, { header: { zip: 'DEF' } }), 'malformed_token');
  });

  it('refuses a foreign issuer before looking for its key: wrong_issuer, and no JWKS fetch', async () => {
    expect((await get(await issuer.token(PORTFOLIO))).status).toBe(200); // the key set is warm
    const before = issuer.jwksRequests;
    const stranger = await newKey('RS256');
    for (let i = 0; i < 5; i += 1) {
      const token = await issuer.token(
        { ...PORTFOLIO, iss: `https://stranger-${i}.example/` },
        { key: stranger },
      );
      await expectRefused(token, 'wrong_issuer');
    }
    expect(issuer.jwksRequests).toBe(before);
  });

  it('still verifies the signature before trusting a token that names our issuer', async () => {
    const stranger = await newKey('RS256');
    const token = await issuer.token(PORTFOLIO, { key: { ...stranger, kid: issuer.key.kid } });
    await expectRefused(token, 'invalid_signature');
  });
});

describe('agent names', () => {
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

  const whoami = async (agentSub: string) =>
    t
      .http()
      .get('/fixture/agents/whoami')
      .set('Authorization', `Bearer ${await issuer.token({ ...PORTFOLIO, act: { sub: agentSub } })}`);

  it.each([
    ['an empty name', 'agent|'],
    ['a control character', 'agent|research\u0001lead'],
    ['a newline', 'agent|research\nlead'],
    ['a space', 'agent|research lead'],
    ['a name over 128 characters', `agent|${'a'.repeat(129)}`],
    ['a leading punctuation mark', 'agent|-lead'],
  ])('refuses an agent with %s → invalid_actor', async (_name, sub) => {
    const res = await whoami(sub);
    expect([res.status, res.body.reason]).toEqual([401, 'invalid_actor']);
  });

  it.each(['agent|research_lead', 'agent|codebase.reviewer:v2', `agent|${'a'.repeat(128)}`])(
    'accepts the agent %s',
    async (sub) => {
      expect((await whoami(sub)).status).toBe(200);
    },
  );
});

describe('several keys under one kid (an IdP key rollover)', () => {
  let issuer: TestIssuer;
  let t: TestApp;
  /** Published under the issuer's own kid, after its key, in this order. */
  const sameKid: IssuerKey[] = [];

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    for (let i = 0; i < MAX_KEYS_PER_KID; i += 1) {
      const key = await newKey('RS256');
      sameKid.push({ ...key, kid: issuer.key.kid });
    }
    issuer.extraJwks = sameKid.map((key) => ({ ...key.publicJwk, kid: issuer.key.kid }));
    t = await startTestApp(issuer.env(), [FixtureModule]);
  });
  afterAll(async () => {
    await t.close();
    await issuer.stop();
  });

  const get = async (key: IssuerKey) =>
    t
      .http()
      .get('/fixture/portfolio')
      .set('Authorization', `Bearer ${await issuer.token(PORTFOLIO, { key })}`);

  it('verifies a token signed by any of the first keys under the kid', async () => {
    expect((await get(issuer.key)).status).toBe(200);
    for (const key of sameKid.slice(0, MAX_KEYS_PER_KID - 1)) expect((await get(key)).status).toBe(200);
  });

  it(`tries no more than ${MAX_KEYS_PER_KID} keys for one kid: a key published beyond them never verifies`, async () => {
    const res = await get(sameKid[MAX_KEYS_PER_KID - 1]);
    expect([res.status, res.body.reason]).toEqual([401, 'invalid_signature']);
    expect(issuer.jwksRequests).toBe(1);
  });
});

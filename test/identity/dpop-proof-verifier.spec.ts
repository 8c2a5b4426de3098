import { CompactSign, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { loadConfig } from '../../src/config/app-config';
import { accessTokenHash, DpopProofVerifier } from '../../src/identity/dpop/dpop-proof-verifier';
import { AuthError } from '../../src/identity/errors/auth-error';
import { DpopClient } from '../support/dpop';
import { rawJwt } from '../support/issuer';

const URL = 'http://127.0.0.1:3000/auth/whoami';
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
const EXPECTED = { method: 'GET', htu: URL, accessToken: TOKEN };

/** The reason a verification fails with; fails the test when it passes. */
async function refusalOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AuthError) return error.reason;
    throw error;
  }
  throw new Error('the proof was accepted');
}

describe(DpopProofVerifier.name, () => {
  const sut = new DpopProofVerifier(loadConfig({ PORT: '3000', ALPHASWARM_AUTH0_DPOP_ENABLED: 'true' }));
  let client: DpopClient;
  beforeAll(async () => {
    client = await DpopClient.create('ES256');
  });

  const now = () => Math.floor(Date.now() / 1000);
  const ath = accessTokenHash(TOKEN);
  /** A proof whose payload is exactly `text`, validly signed by the client's key. */
  const signedText = (text: string) =>
    new CompactSign(new TextEncoder().encode(text))
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: client.publicJwk })
      .sign(client.privateKey);

  it("accepts an honest proof and reports its key's thumbprint and its jti", async () => {
    const jti = 'a-unique-proof-identifier';
    const proof = await client.proof('GET', URL, { accessToken: TOKEN, claims: { jti } });
    await expect(sut.verify(proof, EXPECTED)).resolves.toEqual({ jkt: client.jkt, jti, nonce: undefined });
  });

  it.each(['RS256', 'PS256', 'EdDSA'])('accepts a proof signed with %s', async (alg) => {
    const other = await DpopClient.create(alg);
    const proof = await other.proof('GET', URL, { accessToken: TOKEN });
    await expect(sut.verify(proof, EXPECTED)).resolves.toMatchObject({ jkt: other.jkt });
  });

  it('compares htu after RFC 3986 normalisation, without the query and fragment', async () => {
    const proof = await client.proof('GET', URL, {
      accessToken: TOKEN,
      claims: { htu: 'HTTP://127.0.0.1:3000/auth/%77hoami?x=1#frag' },
    });
    await expect(sut.verify(proof, EXPECTED)).resolves.toMatchObject({ jkt: client.jkt });
  });

  it('needs no ath where no access token is presented (the token endpoint)', async () => {
    const proof = await client.proof('POST', 'http://127.0.0.1:3000/oauth/token');
    await expect(
      sut.verify(proof, { method: 'POST', htu: 'http://127.0.0.1:3000/oauth/token' }),
    ).resolves.toMatchObject({ jkt: client.jkt });
  });

  describe('refuses, each check on its own, with invalid_dpop_proof', () => {
    const cases: [string, () => Promise<string>][] = [
      ['a wrong htm', () => client.proof('POST', URL, { accessToken: TOKEN })],
      [
        'an htu with another host',
        () => client.proof('GET', 'http://evil.example/auth/whoami', { accessToken: TOKEN }),
      ],
      [
        'an htu with another path',
        () => client.proof('GET', 'http://127.0.0.1:3000/auth/config', { accessToken: TOKEN }),
      ],
      [
        'an htu with another scheme',
        () => client.proof('GET', 'https://127.0.0.1:3000/auth/whoami', { accessToken: TOKEN }),
      ],
      [
        'an htu that is not a URL',
        () => client.proof('GET', URL, { accessToken: TOKEN, claims: { htu: '/auth/whoami' } }),
      ],
      ['a stale iat', () => client.proof('GET', URL, { accessToken: TOKEN, claims: { iat: now() - 67 } })],
      [
        'an iat in the future',
        () => client.proof('GET', URL, { accessToken: TOKEN, claims: { iat: now() + 30 } }),
      ],
      ['no iat', () => client.proof('GET', URL, { accessToken: TOKEN, claims: { iat: undefined } })],
      ['a missing ath', () => client.proof('GET', URL)],
      ['the ath of another token', () => client.proof('GET', URL, { accessToken: `${TOKEN}x` })],
      ['no jti', () => client.proof('GET', URL, { accessToken: TOKEN, claims: { jti: undefined } })],
      [
        'a jti one character over the bound',
        () => client.proof('GET', URL, { accessToken: TOKEN, claims: { jti: 'j'.repeat(129) } }),
      ],
      ['a numeric jti', () => client.proof('GET', URL, { accessToken: TOKEN, claims: { jti: 7 } })],
      [
        'a 10 KiB jti',
        () => client.proof('GET', URL, { accessToken: TOKEN, claims: { jti: 'j'.repeat(10240) } }),
      ],
      ['a numeric nonce', () => client.proof('GET', URL, { accessToken: TOKEN, claims: { nonce: 1 } })],
      [
        'the typ of an access token',
        () => client.proof('GET', URL, { accessToken: TOKEN, header: { typ: 'at+jwt' } }),
      ],
      ['no typ', () => client.proof('GET', URL, { accessToken: TOKEN, header: { typ: undefined } })],
      ['no jwk', () => client.proof('GET', URL, { accessToken: TOKEN, header: { jwk: undefined } })],
      [
        'the jwk of another key (a signature by the wrong key)',
        async () => {
          const other = await DpopClient.create('ES256');
          return client.proof('GET', URL, { accessToken: TOKEN, header: { jwk: other.publicJwk } });
        },
      ],
      [
        'a jwk that carries its private part (d)',
        async () =>
          client.proof('GET', URL, {
            accessToken: TOKEN,
            header: { jwk: await exportJWK(client.privateKey) },
          }),
      ],
      [
        'a symmetric jwk',
        () =>
          client.proof('GET', URL, { accessToken: TOKEN, header: { jwk: { kty: 'oct', k: 'c2VjcmV0' } } }),
      ],
      [
        'an algorithm outside the allow-list (ES384)',
        async () => (await DpopClient.create('ES384')).proof('GET', URL, { accessToken: TOKEN }),
      ],
      [
        'HS256, keyed with the public key as a secret',
        () =>
          new SignJWT({ jti: 'x', htm: 'GET', htu: URL, iat: now(), ath: 'x' })
            .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: client.publicJwk })
            .sign(new TextEncoder().encode(JSON.stringify(client.publicJwk))),
      ],
      [
        'alg none without a signature',
        async () =>
          rawJwt(
            { alg: 'none', typ: 'dpop+jwt', jwk: client.publicJwk },
            { jti: 'x', htm: 'GET', htu: URL, iat: now() },
          ),
      ],
      [
        'a signature by a key of the wrong curve for its algorithm',
        async () => {
          const { privateKey, publicKey } = await generateKeyPair('ES384', { extractable: true });
          return new SignJWT({ jti: 'x', htm: 'GET', htu: URL, iat: now() })
            .setProtectedHeader({ alg: 'ES384', typ: 'dpop+jwt', jwk: await exportJWK(publicKey) })
            .sign(privateKey)
            .then((jwt) => {
              const [, payload, signature] = jwt.split('.');
              const header = Buffer.from(
                JSON.stringify({
                  alg: 'ES256',
                  typ: 'dpop+jwt',
                  jwk: JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString()).jwk,
                }),
              ).toString('base64url');
              return `${header}.${payload}.${signature}`;
            });
        },
      ],
      // Read by the one strict decoder access tokens go through: what two JSON parsers would read
      // differently is refused, even when the signature is good.
      [
        'a payload that names htu twice (another URL first)',
        () =>
          signedText(
            `{"jti":"dup","htm":"GET","htu":"http://evil.example/x","htu":"${URL}","iat":${now()},"ath":"${ath}"}`,
          ),
      ],
      [
        'a payload that starts with a byte-order mark',
        () => signedText(`\uFEFF{"jti":"bom","htm":"GET","htu":"${URL}","iat":${now()},"ath":"${ath}"}`),
      ],
      [
        'a crit header (an extension this service does not implement)',
        () =>
          new CompactSign(
            new TextEncoder().encode(JSON.stringify({ jti: 'crit', htm: 'GET', htu: URL, iat: now(), ath })),
          )
            .setProtectedHeader({
              alg: 'ES256',
              typ: 'dpop+jwt',
              jwk: client.publicJwk,
              crit: ['b64'],
              b64: true,
            })
            .sign(client.privateKey),
      ],
      ['a proof that is not a JWT', async () => 'not.a-proof'],
      [
        'a proof with a fourth segment',
        async () => `${await client.proof('GET', URL, { accessToken: TOKEN })}.x`,
      ],
      ['an oversized proof', async () => `${'a'.repeat(9000)}.b.c`],
    ];

    it.each(cases)('%s', async (_name, make) => {
      expect(await refusalOf(sut.verify(await make(), EXPECTED))).toBe('invalid_dpop_proof');
    });
  });
});

import { createSign, type KeyObject, X509Certificate } from 'node:crypto';
import { createServer } from 'node:http';
import { exportSPKI, SignJWT, UnsecuredJWT } from 'jose';
import { REASON_CODES } from '../../src/identity/errors/reason-codes';
import { startTestApp, type TestApp } from '../support/app';
import { FixtureModule } from '../support/fixture.module';
import { type IssuerKey, newKey, rawJwt, TestIssuer } from '../support/issuer';
import { quietPeriod } from '../support/wait';
import { selfSignedCertificate } from '../support/x509';

const NS = 'https://alphaswarm.internal/';

/** A loopback HTTP server answering fixed bodies by path (404 otherwise) and counting every request. */
interface StaticServer {
  readonly url: string;
  /** Every request received, whatever its path. */
  readonly requests: string[];
  stop(): Promise<void>;
}

async function startStaticServer(bodies: Record<string, string>): Promise<StaticServer> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(request.url ?? '');
    const body = bodies[request.url ?? ''];
    if (body === undefined) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An RS256 compact JWS over exactly this header, whatever members it holds (jose refuses unknown `crit`). */
function signRs256(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key: KeyObject,
): string {
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(
    JSON.stringify(payload),
  ).toString('base64url')}`;
  return `${input}.${createSign('RSA-SHA256').update(input).sign(key).toString('base64url')}`;
}

/** `act` nested `subs.length` deep: the first sub is the nearest actor. */
function actChain(subs: string[]): Record<string, unknown> | undefined {
  return subs.reduceRight<Record<string, unknown> | undefined>(
    (inner, sub) => (inner === undefined ? { sub } : { sub, act: inner }),
    undefined,
  );
}

describe('token validation against an external OIDC issuer', () => {
  let issuer: TestIssuer;
  let t: TestApp;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    t = await startTestApp(
      {
        ...issuer.env(),
        ALPHASWARM_AUTH_OIDC_CLIENT_ID: 'spa-client-id',
        ALPHASWARM_AUTH_CLAIMS_NAMESPACE_ALIASES: 'https://alphaswarm/',
      },
      [FixtureModule],
    );
  });
  afterAll(async () => {
    await t.close();
    await issuer.stop();
  });

  const whoami = (token: string) => t.http().get('/auth/whoami').set('Authorization', `Bearer ${token}`);

  async function expectRefused(token: string, reason: string, status = 401) {
    const res = await whoami(token);
    expect([res.status, res.body.reason]).toEqual([status, reason]);
    expect(REASON_CODES).toContain(res.body.reason);
    if (status === 401) expect(res.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
    return res;
  }

  it('accepts a valid token and answers the principal', async () => {
    const token = await issuer.token({ permissions: ['read:portfolio'], scope: 'read:strategy' });
    const res = await whoami(token);
    expect(res.status).toBe(200);
    expect(res.body.principal).toMatchObject({
      actorType: 'user',
      sub: 'auth0|alice',
      permissions: ['read:portfolio', 'read:strategy'],
    });
  });

  it('refuses a token for another audience', async () => {
    await expectRefused(await issuer.token({ aud: 'https://someone-else/' }), 'wrong_audience');
  });

  it('accepts an audience array that contains the API audience', async () => {
    const res = await whoami(await issuer.token({ aud: ['https://someone-else/', issuer.audience] }));
    expect(res.status).toBe(200);
  });

  it('refuses a token from another issuer', async () => {
    await expectRefused(await issuer.token({ iss: 'https://evil.example.com/' }), 'wrong_issuer');
  });

  it('accepts the issuer without its trailing slash (one slash is normalised)', async () => {
    const res = await whoami(await issuer.token({ iss: issuer.url.slice(0, -1) }));
    expect(res.status).toBe(200);
  });

  it('refuses the issuer with a second trailing slash', async () => {
    await expectRefused(await issuer.token({ iss: `${issuer.url}/` }), 'wrong_issuer');
  });

  it('refuses an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(await issuer.token({ iat: now - 600, exp: now - 60 }), 'expired_token');
  });

  it('accepts a token expired within the clock skew', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await whoami(await issuer.token({ iat: now - 600, exp: now - 10 }))).status).toBe(200);
  });

  it('refuses a token without exp', async () => {
    const claims = issuer.claims();
    delete claims.exp;
    await expectRefused(await issuer.signPayload(claims), 'malformed_token');
  });

  it('refuses exp given as a string', async () => {
    await expectRefused(
      await issuer.token({ exp: String(Math.floor(Date.now() / 1000) + 300) }),
      'malformed_token',
    );
  });

  it('refuses a token whose nbf is beyond the skew, and accepts one within it', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(await issuer.token({ nbf: now + 120 }), 'not_yet_valid');
    expect((await whoami(await issuer.token({ nbf: now + 10 }))).status).toBe(200);
  });

  it('refuses a token issued in the future beyond the skew', async () => {
    await expectRefused(await issuer.token({ iat: Math.floor(Date.now() / 1000) + 120 }), 'not_yet_valid');
  });

  it('refuses alg none in any spelling', async () => {
    await expectRefused(new UnsecuredJWT(issuer.claims()).encode(), 'forbidden_algorithm');
    for (const alg of ['None', 'nOnE']) {
      await expectRefused(rawJwt({ alg, kid: issuer.key.kid }, issuer.claims()), 'forbidden_algorithm');
    }
  });

  it('refuses HS256 signed with the public key as the secret (algorithm confusion)', async () => {
    const pem = await exportSPKI(issuer.key.publicKey);
    const forged = await new SignJWT(issuer.claims())
      .setProtectedHeader({ alg: 'HS256', kid: issuer.key.kid })
      .sign(new TextEncoder().encode(pem));
    await expectRefused(forged, 'forbidden_algorithm');
  });

  it('refuses a token with an empty signature', async () => {
    const [header, payload] = (await issuer.token()).split('.');
    await expectRefused(`${header}.${payload}.`, 'invalid_signature');
  });

  it('refuses a signature spelled with stray bits in its last character, which decodes to the same bytes', async () => {
    const token = await issuer.token();
    const signature = token.slice(token.lastIndexOf('.') + 1);
    // 256 bytes end in one byte of 2 characters: the last carries 2 bits of data and 4 of padding.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(signature.slice(-1));
    expect(last % 16).toBe(0);
    const respelled = `${signature.slice(0, -1)}${alphabet[last + 1]}`;
    expect(Buffer.from(respelled, 'base64url')).toEqual(Buffer.from(signature, 'base64url'));
    const forged = `${token.slice(0, token.lastIndexOf('.') + 1)}${respelled}`;
    await expectRefused(forged, 'malformed_token');
    // The token as issued still passes (and a refusal is not remembered against it).
    expect((await whoami(token)).status).toBe(200);
  });

  it('refuses a token signed by another key under a published kid', async () => {
    const stranger = await newKey();
    const forged = await issuer.token({}, { key: { ...stranger, kid: issuer.key.kid } });
    await expectRefused(forged, 'invalid_signature');
  });

  it('refuses a token with a changed payload', async () => {
    const [header, , signature] = (await issuer.token()).split('.');
    const payload = rawJwt({}, issuer.claims({ permissions: ['admin:cluster'] })).split('.')[1];
    await expectRefused(`${header}.${payload}.${signature}`, 'invalid_signature');
  });

  it('refuses a kid the issuer does not publish', async () => {
    const stranger = await newKey();
    await expectRefused(await issuer.token({}, { key: stranger }), 'no_matching_key');
  });

  it('never fetches keys named by the token header (jku, jwk, x5u)', async () => {
    const stranger = await newKey();
    const attacker = await startStaticServer({
      '/jwks.json': JSON.stringify({ keys: [stranger.publicJwk] }),
    });
    try {
      const forged = await issuer.token(
        {},
        {
          key: stranger,
          header: {
            jwk: stranger.publicJwk,
            jku: `${attacker.url}/jwks.json`,
            x5u: `${attacker.url}/cert.pem`,
          },
        },
      );
      await expectRefused(forged, 'no_matching_key');
      expect(attacker.requests).toEqual([]);
    } finally {
      await attacker.stop();
    }
  });

  describe('a published kid on a token signed by the attacker, who names their own key in the header', () => {
    let attackerKey: IssuerKey;
    let attackerJwk: Record<string, unknown>;
    let certificate: Buffer;
    let attacker: StaticServer;

    beforeAll(async () => {
      attackerKey = await newKey();
      // The attacker's key under the kid the issuer publishes: only the key's source can tell them apart.
      attackerJwk = { ...attackerKey.publicJwk, kid: issuer.key.kid };
      certificate = selfSignedCertificate(
        attackerKey.publicKey as KeyObject,
        attackerKey.privateKey as KeyObject,
        'alphaswarm issuer',
      );
      const pem = new X509Certificate(certificate).toString();
      attacker = await startStaticServer({
        '/jwks.json': JSON.stringify({ keys: [attackerJwk] }),
        '/cert.pem': pem,
      });
    });
    afterAll(async () => {
      await attacker.stop();
    });

    const forge = (header: Record<string, unknown>) =>
      issuer.token(
        { permissions: ['admin:cluster'] },
        { key: { ...attackerKey, kid: issuer.key.kid }, header },
      );

    it('the certificate is real: self-signed, carrying the attacker key (control)', () => {
      const parsed = new X509Certificate(certificate);
      expect(parsed.verify(parsed.publicKey)).toBe(true);
      expect(parsed.publicKey.export({ type: 'spki', format: 'der' })).toEqual(
        (attackerKey.publicKey as KeyObject).export({ type: 'spki', format: 'der' }),
      );
    });

    it('the attacker server serves the attacker keys and records every request (control)', async () => {
      const jwks = await fetch(`${attacker.url}/jwks.json`);
      expect(await jwks.json()).toEqual({ keys: [attackerJwk] });
      expect((await fetch(`${attacker.url}/cert.pem`)).status).toBe(200);
      expect(attacker.requests.splice(0)).toEqual(['/jwks.json', '/cert.pem']);
    });

    it('refuses the attacker key embedded as jwk → invalid_signature', async () => {
      await expectRefused(await forge({ jwk: attackerJwk }), 'invalid_signature');
    });

    it('refuses the attacker key embedded as an x5c certificate → invalid_signature', async () => {
      await expectRefused(await forge({ x5c: [certificate.toString('base64')] }), 'invalid_signature');
    });

    it('refuses jku and x5u naming the attacker server, and never asks that server → invalid_signature', async () => {
      await expectRefused(await forge({ jku: `${attacker.url}/jwks.json` }), 'invalid_signature');
      await expectRefused(await forge({ x5u: `${attacker.url}/cert.pem` }), 'invalid_signature');
      await expectRefused(
        await forge({
          jku: `${attacker.url}/jwks.json`,
          x5u: `${attacker.url}/cert.pem`,
          jwk: attackerJwk,
          x5c: [certificate.toString('base64')],
        }),
        'invalid_signature',
      );
      // Nothing signals a fetch that never happens: a fetch started after the answer would reach the
      // attacker's server on loopback well within this bound.
      await quietPeriod(200);
      expect(attacker.requests).toEqual([]);
    });

    it('still accepts the issuer token carrying the same header members (the refusals are about the key)', async () => {
      const token = await issuer.token(
        {},
        {
          header: {
            jwk: attackerJwk,
            x5c: [certificate.toString('base64')],
            jku: `${attacker.url}/jwks.json`,
            x5u: `${attacker.url}/cert.pem`,
          },
        },
      );
      expect((await whoami(token)).status).toBe(200);
      expect(attacker.requests).toEqual([]);
    });
  });

  it('refuses a header with an unknown crit extension', async () => {
    await expectRefused(await issuer.token({}, { header: { crit: ['b64'], b64: true } }), 'malformed_token');
  });

  it('ignores an unknown header member, but refuses it once crit lists it → malformed_token', async () => {
    const key = issuer.key.privateKey as KeyObject;
    const header = { alg: 'RS256', kid: issuer.key.kid, typ: 'at+jwt', 'urn:example:unknown': 'value' };
    expect((await whoami(signRs256(header, issuer.claims(), key))).status).toBe(200);
    await expectRefused(
      signRs256({ ...header, crit: ['urn:example:unknown'] }, issuer.claims(), key),
      'malformed_token',
    );
  });

  it('refuses an ID token: one with a nonce, one typed as an ID token, one addressed to the SPA only', async () => {
    await expectRefused(await issuer.token({ nonce: 'n-123' }), 'malformed_token');
    await expectRefused(await issuer.token({}, { header: { typ: 'id_token+jwt' } }), 'malformed_token');
    await expectRefused(await issuer.token({ aud: 'spa-client-id' }), 'wrong_audience');
  });

  it('refuses a correctly signed payload that is not a JSON object', async () => {
    for (const payload of ['[1,2]', '"text"', '42', 'not json at all']) {
      await expectRefused(await issuer.signBytes(payload), 'malformed_token');
    }
  });

  it('refuses a correctly signed payload that is not UTF-8', async () => {
    await expectRefused(await issuer.signBytes(Buffer.from([0xff, 0xfe, 0x7b, 0x7d])), 'malformed_token');
  });

  it('accepts claims whose strings hold colons, quotes, braces and escapes (no false duplicate)', async () => {
    const claims = issuer.claims({
      sub: 'auth0|a:b"c\\d{e}:f',
      note: '"x":1,"x":2',
      nested: { a: 'q:"r"', b: [':', { c: 1 }] },
    });
    const res = await whoami(await issuer.signBytes(JSON.stringify(claims)));
    expect(res.status).toBe(200);
    expect(res.body.principal.sub).toBe('auth0|a:b"c\\d{e}:f');
  });

  it('refuses a member repeated inside a nested object', async () => {
    const claims = JSON.stringify(issuer.claims({ act: { sub: 'agent|x' } })).replace(
      '"act":{"sub":"agent|x"}',
      '"act":{"sub":"agent|x","sub":"agent|y"}',
    );
    expect(claims).toContain('"sub":"agent|y"');
    await expectRefused(await issuer.signBytes(claims), 'malformed_token');
  });

  it('reads custom claims under the namespace, its alias, and Auth0 top-level org_id; the primary namespace wins', async () => {
    const token = await issuer.token({
      [`${NS}workspace_id`]: 'ws-primary',
      'https://alphaswarm/workspace_id': 'ws-alias',
      'https://alphaswarm/team_id': 'team-alias',
      [`${NS}roles`]: ['admin'],
      org_id: 'org_auth0',
    });
    const res = await whoami(token);
    expect(res.body.principal).toMatchObject({
      workspaceId: 'ws-primary',
      teamId: 'team-alias',
      orgId: 'org_auth0',
      roles: ['admin'],
    });
  });

  it('recognises an M2M token by gty and by a <client_id>@clients subject matching azp', async () => {
    const byGrant = await whoami(
      await issuer.token({ sub: 'svc-1@clients', azp: 'svc-1', gty: 'client-credentials' }),
    );
    expect(byGrant.body.principal).toMatchObject({ actorType: 'm2m', clientId: 'svc-1' });
    const bySubject = await whoami(await issuer.token({ sub: 'svc-2@clients', azp: 'svc-2' }));
    expect(bySubject.body.principal).toMatchObject({ actorType: 'm2m', clientId: 'svc-2' });
  });

  it('refuses an M2M subject whose client prefix differs from azp', async () => {
    await expectRefused(await issuer.token({ sub: 'svc-1@clients', azp: 'svc-2' }), 'invalid_actor');
  });

  it('recognises an M2M token that names its client by client_id alone (no azp)', async () => {
    const res = await whoami(
      await issuer.token({ sub: 'svc-3@clients', client_id: 'svc-3', gty: 'client-credentials' }),
    );
    expect(res.status).toBe(200);
    expect(res.body.principal).toMatchObject({ actorType: 'm2m', sub: 'svc-3@clients', clientId: 'svc-3' });
  });

  it('refuses an M2M subject whose client prefix differs from client_id → invalid_actor', async () => {
    await expectRefused(
      await issuer.token({ sub: 'svc-3@clients', client_id: 'svc-4', gty: 'client-credentials' }),
      'invalid_actor',
    );
    await expectRefused(await issuer.token({ sub: 'svc-3@clients', client_id: 'svc-4' }), 'invalid_actor');
  });

  it('refuses a delegated agent token outside the MCP routes (agent_not_allowed)', async () => {
    const token = await issuer.token({ act: { sub: 'agent|research', act: { sub: 'agent|planner' } } });
    const res = await whoami(token);
    expect([res.status, res.body.reason]).toEqual([403, 'agent_not_allowed']);
  });

  describe('on a route that admits agents', () => {
    const asAgent = (token: string) =>
      t.http().get('/fixture/agents/whoami').set('Authorization', `Bearer ${token}`);

    it('keeps the delegation chain in order, nearest actor first, on behalf of the token sub', async () => {
      const act = {
        sub: 'agent|a1',
        act: { sub: 'agent|a2', iss: 'https://agents.example/', act: { sub: 'auth0|root' } },
      };
      const res = await asAgent(await issuer.token({ sub: 'auth0|alice', act }));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        actorType: 'agent',
        sub: 'auth0|alice',
        actor: {
          sub: 'agent|a1',
          chain: [
            { sub: 'agent|a1' },
            { sub: 'agent|a2', iss: 'https://agents.example/' },
            { sub: 'auth0|root' },
          ],
          onBehalfOfSub: 'auth0|alice',
        },
      });
    });

    it('accepts a chain of 8 actors and refuses one of 9 → invalid_actor', async () => {
      const subs = (n: number) => Array.from({ length: n }, (_, i) => `agent|hop-${i + 1}`);
      const eight = await asAgent(await issuer.token({ act: actChain(subs(8)) }));
      expect(eight.status).toBe(200);
      const chain = (eight.body as { actor: { chain: { sub: string }[] } }).actor.chain;
      expect(chain.map((link) => link.sub)).toEqual(subs(8));

      const nine = await asAgent(await issuer.token({ act: actChain(subs(9)) }));
      expect([nine.status, nine.body.reason]).toEqual([401, 'invalid_actor']);
      expect(nine.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
    });

    it('refuses a chain whose nearest actor is not an agent, even where agents are admitted → invalid_actor', async () => {
      const res = await asAgent(await issuer.token({ act: actChain(['auth0|mallory', 'agent|a1']) }));
      expect([res.status, res.body.reason]).toEqual([401, 'invalid_actor']);
    });
  });

  it('refuses an act claim that does not name an agent', async () => {
    await expectRefused(await issuer.token({ act: { sub: 'auth0|mallory' } }), 'invalid_actor');
    await expectRefused(await issuer.token({ act: 'agent|research' }), 'invalid_actor');
    await expectRefused(await issuer.token({ act: { sub: 'agent|a', act: { sub: 42 } } }), 'invalid_actor');
  });

  it('refuses a DPoP-bound token presented as a plain bearer token', async () => {
    await expectRefused(await issuer.token({ cnf: { jkt: 'thumbprint' } }), 'dpop_required');
  });

  it('answers 403 insufficient_scope naming the missing scope, and 200 with it', async () => {
    const weak = await issuer.token({ permissions: ['read:portfolio'] });
    const res = await t.http().get('/fixture/both').set('Authorization', `Bearer ${weak}`);
    expect([res.status, res.body.reason]).toEqual([403, 'insufficient_scope']);
    expect(res.headers['www-authenticate']).toContain('error="insufficient_scope"');
    expect(res.headers['www-authenticate']).toContain('scope="read:portfolio read:strategy"');
    const strong = await issuer.token({ permissions: ['read:portfolio'], scope: 'read:strategy' });
    expect((await t.http().get('/fixture/both').set('Authorization', `Bearer ${strong}`)).status).toBe(200);
  });

  it('fetched the JWKS once for all of the above', () => {
    // Unknown kids may refetch; everything signed with the published key came from the cache.
    expect(issuer.jwksRequests).toBeGreaterThanOrEqual(1);
    expect(issuer.jwksRequests).toBeLessThanOrEqual(4);
  });
});

describe('ALPHASWARM_AUTH_JWKS_URI at another path than the issuer default', () => {
  let issuer: TestIssuer;
  let decoy: IssuerKey;
  let keys: StaticServer;
  let t: TestApp;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    decoy = await newKey();
    // The issuer's default path publishes only a decoy key: a service reading it would refuse every
    // issuer token with no_matching_key and accept tokens signed by the decoy.
    issuer.jwksOverride = { status: 200, body: JSON.stringify({ keys: [decoy.publicJwk] }) };
    keys = await startStaticServer({ '/keys/custom.json': JSON.stringify({ keys: [issuer.key.publicJwk] }) });
    t = await startTestApp({ ...issuer.env(), ALPHASWARM_AUTH_JWKS_URI: `${keys.url}/keys/custom.json` });
  });
  afterAll(async () => {
    await t.close();
    await keys.stop();
    await issuer.stop();
  });

  const whoami = (token: string) => t.http().get('/auth/whoami').set('Authorization', `Bearer ${token}`);

  it('verifies with the keys at the configured URI', async () => {
    const res = await whoami(await issuer.token());
    expect(res.status).toBe(200);
    expect(res.body.principal).toMatchObject({ actorType: 'user', sub: 'auth0|alice' });
    expect(keys.requests).toContain('/keys/custom.json');
  });

  it('never uses the keys at the default path', async () => {
    const res = await whoami(await issuer.token({}, { key: decoy }));
    expect([res.status, res.body.reason]).toEqual([401, 'no_matching_key']);
    expect(issuer.jwksRequests).toBe(0);
  });
});

describe('auth0 provider with a custom-domain issuer configured without its trailing slash', () => {
  let issuer: TestIssuer;
  let t: TestApp;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    t = await startTestApp({
      ...issuer.env('auth0'),
      ALPHASWARM_AUTH_OIDC_ISSUER: issuer.url.slice(0, -1),
      ALPHASWARM_AUTH_JWKS_URI: issuer.jwksUri,
    });
  });
  afterAll(async () => {
    await t.close();
    await issuer.stop();
  });

  it('accepts iss with and without the slash, and refuses another host', async () => {
    for (const iss of [issuer.url, issuer.url.slice(0, -1)]) {
      const res = await t
        .http()
        .get('/auth/whoami')
        .set('Authorization', `Bearer ${await issuer.token({ iss })}`);
      expect([iss, res.status]).toEqual([iss, 200]);
    }
    const res = await t
      .http()
      .get('/auth/whoami')
      .set('Authorization', `Bearer ${await issuer.token({ iss: 'https://auth.elsewhere.example/' })}`);
    expect([res.status, res.body.reason]).toEqual([401, 'wrong_issuer']);
  });
});

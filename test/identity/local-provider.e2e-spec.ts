import { LOCAL_DEFAULTS } from '../../src/identity/local/local-defaults';
import { sample, startTestApp, type TestApp } from '../support/app';
import { scratchDatabase } from '../support/db';
import { TestIssuer } from '../support/issuer';

const CLIENTS = JSON.stringify([
  {
    client_id: 'ci-runner',
    client_secret: 'ci-runner-secret-0123456789',
    permissions: ['read:portfolio', 'read:logs'],
  },
]);

describe('local provider', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ ALPHASWARM_AUTH_LOCAL_CLIENTS: CLIENTS });
  });
  afterAll(() => t.close());

  const login = async (body: Record<string, unknown> = {}) => {
    const res = await t.http().post('/auth/local/login').send(body);
    expect(res.status).toBe(200);
    return res.body.access_token as string;
  };

  it('publishes a discovery document and a JWKS with one public RS256 key', async () => {
    const discovery = await t.http().get('/.well-known/openid-configuration');
    expect(discovery.body).toMatchObject({
      issuer: t.config.auth.issuer,
      jwks_uri: `${t.url}/.well-known/jwks.json`,
      grant_types_supported: ['client_credentials'],
    });
    const jwks = await t.http().get('/.well-known/jwks.json');
    expect(jwks.body.keys).toHaveLength(1);
    expect(jwks.body.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(jwks.body.keys[0]).not.toHaveProperty('d');
  });

  it('mints a user token that whoami accepts, with the chosen claims', async () => {
    const token = await login({
      sub: 'auth0|alice',
      permissions: ['read:portfolio', 'admin:tenant'],
      org_id: 'org-123',
      amr: ['pwd', 'mfa'],
      auth_time: 1_700_000_000,
    });
    const res = await t.http().get('/auth/whoami').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(res.body.principal).toMatchObject({
      actorType: 'user',
      sub: 'auth0|alice',
      permissions: ['admin:tenant', 'read:portfolio'],
      orgId: 'org-123',
      amr: ['pwd', 'mfa'],
      authTime: 1_700_000_000,
    });
  });

  it('seeds the local-default user, org and workspace: whoami lists its membership from the database', async () => {
    const res = await t
      .http()
      .get('/auth/whoami')
      .set('Authorization', `Bearer ${await login()}`);
    expect(res.body.principal).toMatchObject({ sub: LOCAL_DEFAULTS.sub, orgId: LOCAL_DEFAULTS.orgId });
    expect(res.body.memberships).toEqual([
      {
        org_id: LOCAL_DEFAULTS.orgId,
        scope_kind: 'organization',
        scope_id: LOCAL_DEFAULTS.orgId,
        role: 'owner',
        source: 'manual',
      },
    ]);
  });

  it('validates its own tokens through the JWKS over HTTP, like any issuer', async () => {
    const metrics = await t.metrics();
    expect(sample(metrics, 'alphaswarm_jwks_fetches_total', { outcome: 'ok' })).toBeGreaterThanOrEqual(1);
  });

  it('refuses login bodies with unknown fields or wrong types', async () => {
    const unknown = await t.http().post('/auth/local/login').send({ sub: 'a', admin: true });
    expect([unknown.status, unknown.body.reason]).toEqual([400, 'invalid_request']);
    const wrongType = await t.http().post('/auth/local/login').send({ permissions: 'read:portfolio' });
    expect([wrongType.status, wrongType.body.reason]).toEqual([400, 'invalid_request']);
  });

  describe('POST /oauth/token (client_credentials)', () => {
    it('issues an M2M token to a configured client (form body, client_secret_post)', async () => {
      const res = await t.http().post('/oauth/token').type('form').send({
        grant_type: 'client_credentials',
        client_id: 'ci-runner',
        client_secret: 'ci-runner-secret-0123456789',
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        token_type: 'Bearer',
        expires_in: 900,
        scope: 'read:portfolio read:logs',
      });
      const me = await t.http().get('/auth/whoami').set('Authorization', `Bearer ${res.body.access_token}`);
      expect(me.body.principal).toMatchObject({
        actorType: 'm2m',
        sub: 'ci-runner@clients',
        clientId: 'ci-runner',
      });
    });

    it('accepts HTTP Basic client authentication and narrows to the requested scope', async () => {
      const res = await t
        .http()
        .post('/oauth/token')
        .auth('ci-runner', 'ci-runner-secret-0123456789')
        .send({ grant_type: 'client_credentials', scope: 'read:logs' });
      expect([res.status, res.body.scope]).toEqual([200, 'read:logs']);
    });

    it('refuses a wrong secret and an unknown client with 401 invalid_client', async () => {
      for (const [id, secret] of [
        ['ci-runner', 'wrong-secret-wrong-secret'],
        ['nobody', 'ci-runner-secret-0123456789'],
      ]) {
        const res = await t
          .http()
          .post('/oauth/token')
          .send({ grant_type: 'client_credentials', client_id: id, client_secret: secret });
        expect([res.status, res.body.error, res.body.reason]).toEqual([
          401,
          'invalid_client',
          'invalid_client',
        ]);
      }
    });

    it('refuses other grant types, scopes beyond the client, and non-string parameters', async () => {
      const grant = await t.http().post('/oauth/token').send({ grant_type: 'password' });
      expect([grant.status, grant.body.error]).toEqual([400, 'unsupported_grant_type']);
      const scope = await t
        .http()
        .post('/oauth/token')
        .auth('ci-runner', 'ci-runner-secret-0123456789')
        .send({ grant_type: 'client_credentials', scope: 'admin:cluster' });
      expect([scope.status, scope.body.error]).toEqual([400, 'invalid_scope']);
      const shape = await t
        .http()
        .post('/oauth/token')
        .send({ grant_type: ['client_credentials'] });
      expect([shape.status, shape.body.error]).toEqual([400, 'invalid_request']);
    });
  });
});

describe('local signing key', () => {
  it('is generated once and survives a restart', async () => {
    const db = await scratchDatabase();
    try {
      const first = await startTestApp({ DATABASE_URL: db.url });
      const kid = (await first.http().get('/.well-known/jwks.json')).body.keys[0].kid as string;
      const token = (await first.http().post('/auth/local/login').send({})).body.access_token as string;
      await first.close();

      const second = await startTestApp({ DATABASE_URL: db.url, PORT: String(first.config.http.port) });
      try {
        expect((await second.http().get('/.well-known/jwks.json')).body.keys[0].kid).toBe(kid);
        const res = await second.http().get('/auth/whoami').set('Authorization', `Bearer ${token}`);
        expect(res.status).toBe(200);
      } finally {
        await second.close();
      }
    } finally {
      await db.drop();
    }
  });

  it('is the same key for two instances booting together on an empty database', async () => {
    const db = await scratchDatabase();
    try {
      const [a, b] = await Promise.all([
        startTestApp({ DATABASE_URL: db.url }),
        startTestApp({ DATABASE_URL: db.url }),
      ]);
      try {
        const kidA = (await a.http().get('/.well-known/jwks.json')).body.keys[0].kid;
        const kidB = (await b.http().get('/.well-known/jwks.json')).body.keys[0].kid;
        expect(kidA).toBe(kidB);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    } finally {
      await db.drop();
    }
  });
});

describe('under another provider', () => {
  let issuer: TestIssuer;
  let t: TestApp;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    t = await startTestApp(issuer.env('auth0'));
  });
  afterAll(async () => {
    await t.close();
    await issuer.stop();
  });

  it('the local issuer routes do not exist', async () => {
    for (const [method, path] of [
      ['post', '/auth/local/login'],
      ['post', '/oauth/token'],
      ['get', '/.well-known/jwks.json'],
      ['get', '/.well-known/openid-configuration'],
    ] as const) {
      const res = await t.http()[method](path).send({});
      expect([path, res.status, res.body.reason]).toEqual([path, 404, 'not_found']);
    }
  });

  it('publishes its provider, issuer and audience at /auth/config', async () => {
    const res = await t.http().get('/auth/config');
    expect(res.body).toMatchObject({ provider: 'auth0', issuer: issuer.url, audience: issuer.audience });
  });
});

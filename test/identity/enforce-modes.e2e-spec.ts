import { sample, startTestApp, type TestApp } from '../support/app';
import { FixtureModule } from '../support/fixture.module';
import { TestIssuer } from '../support/issuer';

describe('ALPHASWARM_AUTH_ENFORCE', () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await TestIssuer.start();
  });
  afterAll(() => issuer.stop());

  describe('strict', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ ...issuer.env(), ALPHASWARM_AUTH_ENFORCE: 'strict' }, [FixtureModule]);
    });
    afterAll(() => t.close());

    it('refuses a request without a token with 401 missing_token and a bare Bearer challenge', async () => {
      const res = await t.http().get('/fixture/portfolio');
      expect([res.status, res.body.reason]).toEqual([401, 'missing_token']);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(res.body).toEqual({
        error: 'unauthorized',
        error_description: expect.any(String),
        reason: 'missing_token',
        request_id: res.headers['x-request-id'],
      });
    });

    it('counts denies by route template, never by raw path', async () => {
      await t.http().get('/fixture/items/42');
      await t.http().get('/fixture/items/43');
      const metrics = await t.metrics();
      expect(
        sample(metrics, 'alphaswarm_authz_decisions_total', {
          decision: 'deny',
          mode: 'strict',
          reason: 'missing_token',
          route: '/fixture/items/:id',
        }),
      ).toBe(2);
      expect(metrics).not.toContain('/fixture/items/42');
    });

    it('counts allows', async () => {
      const token = await issuer.token({ permissions: ['read:portfolio'] });
      expect((await t.http().get('/fixture/portfolio').set('Authorization', `Bearer ${token}`)).status).toBe(
        200,
      );
      const metrics = await t.metrics();
      expect(
        sample(metrics, 'alphaswarm_authz_decisions_total', {
          decision: 'allow',
          reason: 'verified',
          route: '/fixture/portfolio',
        }),
      ).toBe(1);
    });
  });

  describe('permissive', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ ...issuer.env(), ALPHASWARM_AUTH_ENFORCE: 'permissive' }, [FixtureModule]);
    });
    afterAll(() => t.close());

    it('serves an anonymous read and counts it as allow/anonymous and as a would-be deny', async () => {
      const res = await t.http().get('/fixture/portfolio');
      expect(res.status).toBe(200);
      const metrics = await t.metrics();
      const labels = { mode: 'permissive', route: '/fixture/portfolio' };
      expect(
        sample(metrics, 'alphaswarm_authz_decisions_total', {
          ...labels,
          decision: 'allow',
          reason: 'anonymous',
        }),
      ).toBe(1);
      expect(
        sample(metrics, 'alphaswarm_authz_decisions_total', {
          ...labels,
          decision: 'would_deny',
          reason: 'missing_token',
        }),
      ).toBe(1);
    });

    it('never serves anonymous mutations', async () => {
      const res = await t.http().post('/fixture/portfolio').send({});
      expect([res.status, res.body.reason]).toEqual([401, 'missing_token']);
    });

    it('never serves anonymous callers on an @AlwaysStrict route', async () => {
      const res = await t.http().get('/fixture/strict');
      expect([res.status, res.body.reason]).toEqual([401, 'missing_token']);
    });

    it('never serves anonymous callers under /_internal or /mcp, though the route is a plain read', async () => {
      for (const path of ['/_internal/fixture', '/mcp/fixture']) {
        const res = await t.http().get(path);
        expect([path, res.status, res.body.reason]).toEqual([path, 401, 'missing_token']);
      }
      const token = await issuer.token();
      expect((await t.http().get('/mcp/fixture').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    });

    it('fully checks a request that carries a token: a bad token is 401', async () => {
      const expired = await issuer.token({ exp: Math.floor(Date.now() / 1000) - 3600 });
      const res = await t.http().get('/fixture/portfolio').set('Authorization', `Bearer ${expired}`);
      expect([res.status, res.body.reason]).toEqual([401, 'expired_token']);
    });

    it('fully checks a request that carries a token: missing scope is 403', async () => {
      const token = await issuer.token({ permissions: ['read:strategy'] });
      const res = await t.http().get('/fixture/portfolio').set('Authorization', `Bearer ${token}`);
      expect([res.status, res.body.reason]).toEqual([403, 'insufficient_scope']);
    });

    it('treats any Authorization header as credentials: another scheme is 401, not anonymous', async () => {
      const res = await t.http().get('/fixture/portfolio').set('Authorization', 'Basic dXNlcjpwYXNz');
      expect([res.status, res.body.reason]).toEqual([401, 'missing_token']);
      const malformed = await t.http().get('/fixture/portfolio').set('Authorization', 'Bearer a b');
      expect([malformed.status, malformed.body.reason]).toEqual([401, 'malformed_token']);
    });
  });
});

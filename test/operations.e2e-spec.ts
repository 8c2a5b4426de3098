import { startTestApp, type TestApp } from './support/app';
import { freePort } from './support/ports';
import { TestIssuer } from './support/issuer';
import { waitFor } from './support/wait';

describe('operations routes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('GET /healthz answers 200 without a token', async () => {
    expect((await t.http().get('/healthz')).body).toEqual({ status: 'ok' });
  });

  it('GET /readyz answers 200 with each check when the database, Redis and the JWKS are up', async () => {
    let res = await t.http().get('/readyz');
    await waitFor(
      async () => {
        res = await t.http().get('/readyz');
        return res.status === 200;
      },
      { timeoutMs: 4000, what: 'GET /readyz answering 200' },
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'ok',
      provider: 'local',
      enforce_mode: 'strict',
      checks: {
        database: { status: 'ok', kind: 'postgres' },
        redis: { status: 'ok' },
        jwks: { status: 'warm' },
      },
    });
  });

  it('GET /metrics exposes the decision counter in Prometheus text', async () => {
    await t.http().get('/auth/whoami');
    const res = await t.http().get('/metrics');
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.text).toContain(
      'alphaswarm_authz_decisions_total{decision="deny",mode="strict",reason="missing_token",route="/auth/whoami"}',
    );
  });

  it('serves the OpenAPI document and the docs page without a token', async () => {
    const spec = await t.http().get('/openapi.json');
    expect(spec.status).toBe(200);
    expect(spec.body.paths).toHaveProperty('/auth/whoami');
    const docs = await t.http().get('/docs');
    expect([docs.status, docs.headers['content-type']]).toEqual([200, expect.stringContaining('text/html')]);
  });

  it('echoes a plain X-Request-Id and replaces an unsafe one', async () => {
    const kept = await t.http().get('/healthz').set('X-Request-Id', 'trace-abc-123');
    expect(kept.headers['x-request-id']).toBe('trace-abc-123');
    const replaced = await t.http().get('/auth/whoami').set('X-Request-Id', 'bad id\twith spaces');
    expect(replaced.headers['x-request-id']).not.toBe('bad id\twith spaces');
    expect(replaced.body.request_id).toBe(replaced.headers['x-request-id']);
  });
});

describe('readiness when a dependency is down', () => {
  it('answers 503 naming redis when Redis is unreachable', async () => {
    const t = await startTestApp({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    try {
      const res = await t.http().get('/readyz');
      expect(res.status).toBe(503);
      expect(res.body.not_ready).toContain('redis');
      expect(res.body.checks.redis.status).toBe('down');
    } finally {
      await t.close();
    }
  });

  it('answers 503 naming jwks while the issuer has never been reached, and 401 jwks_unreachable for tokens', async () => {
    const issuer = await TestIssuer.start();
    const token = await issuer.token();
    issuer.jwksOverride = { status: 500, body: '<html>down</html>' };
    const t = await startTestApp(issuer.env());
    try {
      const ready = await t.http().get('/readyz');
      expect([ready.status, ready.body.not_ready]).toEqual([503, ['jwks']]);
      const res = await t.http().get('/auth/whoami').set('Authorization', `Bearer ${token}`);
      expect([res.status, res.body.reason]).toEqual([401, 'jwks_unreachable']);

      issuer.jwksOverride = undefined; // the IdP recovers: the background retry warms the cache
      await waitFor(async () => (await t.http().get('/readyz')).status === 200, {
        timeoutMs: 10_000,
        what: 'GET /readyz answering 200 after the IdP recovered',
      });
    } finally {
      await t.close();
      await issuer.stop();
    }
  });
});

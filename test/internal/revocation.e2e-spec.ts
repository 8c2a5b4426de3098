import { CleanupForUser } from '../../src/internal/revocation/cleanup-for-user';
import { RevocationRegistry } from '../../src/internal/revocation/revocation-registry';
import { startTestApp, type TestApp } from '../support/app';
import { TestIssuer } from '../support/issuer';
import { REDIS } from '../support/services';
import { TcpProxy } from '../support/tcp-proxy';
import { waitFor } from '../support/wait';
import { freshSubject, revocationLedgerRows, sharedQueueEnv, storedRevocation, whoami } from './support';

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Several instances on one Postgres and one Redis, as in production; the revocation enters at A. */
describe('cleanup_for_user on every instance', () => {
  let issuer: TestIssuer;
  let env: Record<string, string>;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    env = { ...issuer.env(), ...sharedQueueEnv() };
    [a, b] = await Promise.all([startTestApp(env), startTestApp(env)]);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    await issuer.stop();
  });

  /** Queues the job on A, as the log stream does; whichever instance takes it, every one must act. */
  const revokeAt = (sub: string, revokedBefore: Date) =>
    a.app.get(CleanupForUser).enqueue({
      sub,
      revokedBefore,
      source: 'auth0_log_stream',
      eventTypes: ['slo'],
    });

  it('makes B refuse the old token with 401 token_revoked within one second; a token issued after passes', async () => {
    const sub = freshSubject();
    const old = await issuer.token({ sub, iat: nowSeconds() - 60 });
    expect(await whoami(b, old)).toEqual([200, undefined]); // B has verified and cached it

    const revokedBefore = new Date();
    await revokeAt(sub, revokedBefore);
    const started = Date.now();
    await waitFor(async () => (await whoami(b, old))[0] === 401, { timeoutMs: 1000, what: 'B refusing' });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await whoami(b, old)).toEqual([401, 'token_revoked']);
    expect(await whoami(a, old)).toEqual([401, 'token_revoked']);

    const fresh = await issuer.token({ sub, iat: Math.floor(revokedBefore.getTime() / 1000) + 1 });
    expect(await whoami(b, fresh)).toEqual([200, undefined]);
    expect(await whoami(a, fresh)).toEqual([200, undefined]);
  });

  it('answers 401 with the RFC 6750 challenge naming the revoked token', async () => {
    const sub = freshSubject();
    const old = await issuer.token({ sub, iat: nowSeconds() - 5 });
    await revokeAt(sub, new Date());
    await waitFor(async () => (await whoami(b, old))[0] === 401, { timeoutMs: 2000 });
    const res = await b.http().get('/auth/whoami').set('Authorization', `Bearer ${old}`);
    expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(res.body).toMatchObject({ error: 'invalid_token', reason: 'token_revoked' });
  });

  it('refuses a token of a revoked subject that carries no iat (it cannot show it is newer)', async () => {
    const sub = freshSubject();
    const claims = issuer.claims({ sub });
    delete claims.iat;
    const undated = await issuer.signPayload(claims);
    expect(await whoami(a, undated)).toEqual([200, undefined]);
    await revokeAt(sub, new Date());
    await waitFor(async () => (await whoami(a, undated))[0] === 401, { timeoutMs: 2000 });
    expect(await whoami(a, undated)).toEqual([401, 'token_revoked']);
  });

  it('touches no other subject', async () => {
    const [revoked, bystander] = [freshSubject(), freshSubject()];
    const bystanderToken = await issuer.token({ sub: bystander, iat: nowSeconds() - 60 });
    const revokedToken = await issuer.token({ sub: revoked, iat: nowSeconds() - 60 });
    await revokeAt(revoked, new Date());
    await waitFor(async () => (await whoami(b, revokedToken))[0] === 401, { timeoutMs: 2000 });
    expect(await whoami(b, bystanderToken)).toEqual([200, undefined]);
  });

  it('stores the revocation once per subject, only ever moving it forward, with a ledger row per cleanup', async () => {
    const sub = freshSubject();
    const later = new Date(Date.now() - 1000);
    const earlier = new Date(Date.now() - 60_000);
    await a.app
      .get(CleanupForUser)
      .run({ sub, revokedBefore: later, source: 'auth0_log_stream', eventTypes: ['scp'] });
    await a.app
      .get(CleanupForUser)
      .run({ sub, revokedBefore: earlier, source: 'auth0_log_stream', eventTypes: ['slo'] });
    expect((await storedRevocation(a, sub))?.getTime()).toBe(later.getTime());

    const rows = await revocationLedgerRows(a, sub);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      outcome: 'success',
      details: { source: 'auth0_log_stream', event_types: ['scp'], revoked_before: later.toISOString() },
    });
    // A token issued between the two moments stays refused: the earlier event did not move T back.
    const between = await issuer.token({ sub, iat: Math.floor(later.getTime() / 1000) - 10 });
    expect(await whoami(b, between)).toEqual([401, 'token_revoked']);
  });

  it('a third instance started after the revocation refuses the old token too (read at boot)', async () => {
    const sub = freshSubject();
    const old = await issuer.token({ sub, iat: nowSeconds() - 60 });
    const revokedBefore = new Date();
    await a.app
      .get(CleanupForUser)
      .run({ sub, revokedBefore, source: 'auth0_log_stream', eventTypes: ['sdu'] });

    const c = await startTestApp(env);
    try {
      expect(c.app.get(RevocationRegistry).revokes(sub, nowSeconds() - 60)).toBe(true);
      expect(await whoami(c, old)).toEqual([401, 'token_revoked']);
      const fresh = await issuer.token({ sub, iat: Math.floor(revokedBefore.getTime() / 1000) + 1 });
      expect(await whoami(c, fresh)).toEqual([200, undefined]);
    } finally {
      await c.close();
    }
  });

  describe('with Redis unreachable for one instance', () => {
    let proxy: TcpProxy;
    let d: TestApp;

    beforeAll(async () => {
      proxy = await TcpProxy.start(REDIS);
      d = await startTestApp({ ...env, REDIS_URL: proxy.url });
    });
    afterAll(async () => {
      await d.close();
      await proxy.down();
    });

    it('reads the table instead of the broadcast: a revocation elsewhere is refused within the poll period', async () => {
      const sub = freshSubject();
      const old = await issuer.token({ sub, iat: nowSeconds() - 60 });
      expect(await whoami(d, old)).toEqual([200, undefined]);

      await proxy.down();
      await waitFor(async () => (await d.metrics()).includes('alphaswarm_revocation_broadcast_listening 0'), {
        timeoutMs: 3000,
        what: 'D noticing that Redis is gone',
      });
      await a.app
        .get(CleanupForUser)
        .run({ sub, revokedBefore: new Date(), source: 'auth0_log_stream', eventTypes: ['slo'] });
      await waitFor(async () => (await whoami(d, old))[0] === 401, { timeoutMs: 2500, what: 'D refusing' });
      expect(await whoami(d, old)).toEqual([401, 'token_revoked']);

      await proxy.up();
      await waitFor(async () => (await d.metrics()).includes('alphaswarm_revocation_broadcast_listening 1'), {
        timeoutMs: 5000,
        what: 'D listening again',
      });
    });
  });
});

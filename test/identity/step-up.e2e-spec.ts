import { MFA_ACR } from '../../src/identity/permissions';
import { startTestApp, type TestApp } from '../support/app';
import { FixtureModule } from '../support/fixture.module';
import { TestIssuer } from '../support/issuer';

const now = () => Math.floor(Date.now() / 1000);
const challenge = (maxAge: number) =>
  `Bearer error="insufficient_user_authentication", error_description="A more recent multi-factor authentication is required", acr_values="${MFA_ACR}", max_age="${maxAge}"`;

describe('@StepUp (RFC 9470)', () => {
  let issuer: TestIssuer;
  let t: TestApp;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    t = await startTestApp({ ...issuer.env(), ALPHASWARM_AUTH_ENFORCE: 'permissive' }, [FixtureModule]);
  });
  afterAll(async () => {
    await t.close();
    await issuer.stop();
  });

  const call = async (path: string, claims: Record<string, unknown>) =>
    t
      .http()
      .get(path)
      .set('Authorization', `Bearer ${await issuer.token(claims)}`);

  async function expectChallenge(path: string, claims: Record<string, unknown>, maxAge = 180) {
    const res = await call(path, claims);
    expect([res.status, res.body.reason, res.body.error]).toEqual([
      401,
      'insufficient_user_authentication',
      'insufficient_user_authentication',
    ]);
    expect(res.headers['www-authenticate']).toBe(challenge(maxAge));
  }

  it('passes a user whose amr contains mfa and whose auth_time is recent', async () => {
    expect((await call('/fixture/step-up', { amr: ['pwd', 'mfa'], auth_time: now() - 30 })).status).toBe(200);
  });

  it('passes a user whose acr is the MFA policy, without amr', async () => {
    expect((await call('/fixture/step-up', { acr: MFA_ACR, auth_time: now() - 30 })).status).toBe(200);
  });

  it('challenges a token without amr', async () => {
    await expectChallenge('/fixture/step-up', { auth_time: now() - 30 });
  });

  it('challenges an amr without mfa', async () => {
    await expectChallenge('/fixture/step-up', { amr: ['pwd'], auth_time: now() - 30 });
  });

  it('challenges a stale auth_time (older than the default 180 s)', async () => {
    await expectChallenge('/fixture/step-up', { amr: ['mfa'], auth_time: now() - 200 });
  });

  it('applies the route max age and names it in the challenge', async () => {
    expect((await call('/fixture/step-up/recent', { amr: ['mfa'], auth_time: now() - 30 })).status).toBe(200);
    await expectChallenge('/fixture/step-up/recent', { amr: ['mfa'], auth_time: now() - 90 }, 60);
  });

  it('challenges a missing auth_time', async () => {
    await expectChallenge('/fixture/step-up', { amr: ['mfa'] });
  });

  it('challenges an auth_time in the future beyond the skew', async () => {
    await expectChallenge('/fixture/step-up', { amr: ['mfa'], auth_time: now() + 600 });
  });

  it('refuses an M2M token with 403 and no challenge: machines cannot step up', async () => {
    const res = await call('/fixture/step-up', {
      sub: 'svc@clients',
      azp: 'svc',
      gty: 'client-credentials',
      amr: ['mfa'],
      auth_time: now(),
    });
    expect([res.status, res.body.reason]).toEqual([403, 'insufficient_user_authentication']);
    expect(res.headers['www-authenticate']).toBeUndefined();
  });

  it('refuses an agent token with 403, even on a route that admits agents', async () => {
    const res = await call('/fixture/step-up/agents', {
      act: { sub: 'agent|research' },
      amr: ['mfa'],
      auth_time: now(),
    });
    expect([res.status, res.body.reason]).toEqual([403, 'insufficient_user_authentication']);
  });

  it('judges the token first: an expired token is expired_token, not a step-up failure', async () => {
    const res = await call('/fixture/step-up', { amr: ['mfa'], auth_time: now(), exp: now() - 120 });
    expect([res.status, res.body.reason]).toEqual([401, 'expired_token']);
  });

  it('never serves an anonymous caller, even in permissive mode', async () => {
    const res = await t.http().get('/fixture/step-up');
    expect([res.status, res.body.reason]).toEqual([401, 'missing_token']);
  });

  it('re-checks freshness on every request, even for a cached token', async () => {
    const token = await issuer.token({ amr: ['mfa'], auth_time: now() - 70 });
    // Accepted on the default route (and now cached as verified)…
    expect((await t.http().get('/fixture/step-up').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    // …yet refused where the route demands a fresher MFA.
    const res = await t.http().get('/fixture/step-up/recent').set('Authorization', `Bearer ${token}`);
    expect([res.status, res.headers['www-authenticate']]).toEqual([401, challenge(60)]);
  });
});

describe('@StepUp with ALPHASWARM_AUTH_STEP_UP_ENABLED=false', () => {
  let issuer: TestIssuer;
  let t: TestApp;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    t = await startTestApp({ ...issuer.env(), ALPHASWARM_AUTH_STEP_UP_ENABLED: 'false' }, [FixtureModule]);
  });
  afterAll(async () => {
    await t.close();
    await issuer.stop();
  });

  it('passes a valid token without MFA, and /auth/config says step-up is off', async () => {
    const token = await issuer.token({ amr: ['pwd'] });
    expect((await t.http().get('/fixture/step-up').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    expect((await t.http().get('/auth/config')).body.step_up).toMatchObject({ enabled: false });
  });

  it('still requires a valid token', async () => {
    expect((await t.http().get('/fixture/step-up')).status).toBe(401);
  });
});

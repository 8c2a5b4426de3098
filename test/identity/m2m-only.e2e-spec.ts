import { startTestApp, type TestApp } from '../support/app';
import { FixtureModule } from '../support/fixture.module';
import { TestIssuer } from '../support/issuer';

const M2M_AUDIENCE = 'https://internal.test.alphaswarm/';
const ALLOWED = 'auth0-actions';

/**
 * `@M2mOnly`: the guard of the `/_internal` routes. Only a client-credentials token addressed to the
 * M2M audience, from a client on the route's list, gets through; every other kind of token is told
 * which kind the route wants (`not_m2m`, `agent_not_allowed`), never which permission it lacks.
 */
describe('@M2mOnly', () => {
  let issuer: TestIssuer;
  let t: TestApp;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    t = await startTestApp(
      {
        ...issuer.env(),
        // Permissive: the decorator alone must still refuse anonymous callers.
        ALPHASWARM_AUTH_ENFORCE: 'permissive',
        ALPHASWARM_AUTH_M2M_AUDIENCE: M2M_AUDIENCE,
        ALPHASWARM_AUTH_INTERNAL_CLIENT_IDS: ` ${ALLOWED} , other-service`,
      },
      [FixtureModule],
    );
  });
  afterAll(async () => {
    await t.close();
    await issuer.stop();
  });

  const m2m = (client: string, extra: Record<string, unknown> = {}) => ({
    sub: `${client}@clients`,
    azp: client,
    gty: 'client-credentials',
    aud: M2M_AUDIENCE,
    permissions: ['sync:users'],
    ...extra,
  });
  const call = async (claims?: Record<string, unknown>) => {
    const req = t.http().get('/fixture/m2m');
    return claims ? req.set('Authorization', `Bearer ${await issuer.token(claims)}`) : req;
  };
  const refusal = async (claims?: Record<string, unknown>) => {
    const res = await call(claims);
    return [res.status, res.body.reason] as const;
  };

  it('admits an allowed client with a client-credentials token for the M2M audience', async () => {
    const res = await call(m2m(ALLOWED));
    expect([res.status, res.body]).toEqual([200, { clientId: ALLOWED }]);
    expect((await call(m2m('other-service'))).status).toBe(200);
  });

  it('refuses a user token with 403 not_m2m, even one holding the permission', async () => {
    expect(await refusal({ sub: 'auth0|alice', permissions: ['sync:users'] })).toEqual([403, 'not_m2m']);
  });

  it('refuses a user token addressed to the M2M audience as a token for another API', async () => {
    expect(await refusal({ sub: 'auth0|alice', aud: M2M_AUDIENCE, permissions: ['sync:users'] })).toEqual([
      401,
      'wrong_audience',
    ]);
  });

  it('refuses an M2M client that is not on the list', async () => {
    expect(await refusal(m2m('stranger'))).toEqual([403, 'not_m2m']);
  });

  it('refuses an allowed client whose token is for the API audience, not the M2M one', async () => {
    expect(await refusal(m2m(ALLOWED, { aud: issuer.audience }))).toEqual([403, 'not_m2m']);
  });

  it('refuses an <allowed>@clients subject without gty whose azp is another client', async () => {
    const forged = {
      sub: `${ALLOWED}@clients`,
      azp: 'stranger',
      aud: M2M_AUDIENCE,
      permissions: ['sync:users'],
    };
    const res = await call(forged);
    expect([res.status, res.body.reason]).toEqual([403, 'not_m2m']);
  });

  it('refuses an agent token with 403 agent_not_allowed', async () => {
    const agent = { sub: 'auth0|alice', aud: issuer.audience, act: { sub: 'agent|helper' } };
    expect(await refusal(agent)).toEqual([403, 'agent_not_allowed']);
  });

  it('names the missing permission only to an allowed client', async () => {
    expect(await refusal(m2m(ALLOWED, { permissions: [] }))).toEqual([403, 'insufficient_scope']);
    expect(await refusal({ sub: 'auth0|alice', permissions: [] })).toEqual([403, 'not_m2m']);
  });

  it('never serves an anonymous caller, even under permissive', async () => {
    const res = await call();
    expect([res.status, res.body.reason]).toEqual([401, 'missing_token']);
    expect(res.headers['www-authenticate']).toBe('Bearer');
  });

  it('still answers 401 for a bad token before saying what kind the route wants', async () => {
    const expired = m2m(ALLOWED, { exp: Math.floor(Date.now() / 1000) - 600 });
    expect(await refusal(expired)).toEqual([401, 'expired_token']);
  });

  it('admits nobody when the list is empty', async () => {
    const closed = await startTestApp({ ...issuer.env(), ALPHASWARM_AUTH_M2M_AUDIENCE: M2M_AUDIENCE }, [
      FixtureModule,
    ]);
    try {
      const res = await closed
        .http()
        .get('/fixture/m2m')
        .set('Authorization', `Bearer ${await issuer.token(m2m(ALLOWED))}`);
      expect([res.status, res.body.reason]).toEqual([403, 'not_m2m']);
    } finally {
      await closed.close();
    }
  });
});

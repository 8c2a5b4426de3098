import { randomUUID } from 'node:crypto';
import type { PreUserRegistrationAPI, PreUserRegistrationEvent } from '../../auth0/actions/actions';
import { InviteTokens, type SignedInvite } from '../../src/tenancy/invites/invite-tokens';
import { EmulatedApi, loadAction, TokenEndpoint } from '../support/actions-runtime';
import { startTestApp, type TestApp } from '../support/app';
import { workerDatabaseUrl } from '../support/db';
import { ACTIONS_CLIENT, internalEnv, M2M_AUDIENCE, query } from '../support/internal';
import { TestIssuer } from '../support/issuer';
import { freePort } from '../support/ports';
import { Tenants } from '../support/tenancy';

type PreRegistration = {
  onExecutePreUserRegistration(event: PreUserRegistrationEvent, api: PreUserRegistrationAPI): Promise<void>;
};
const SECRET = 'actions-client-secret-0123456789';

/** auth0/actions/pre-user-registration.js in the emulated runtime, against the running service. */
describe('the pre-user-registration Action', () => {
  let issuer: TestIssuer;
  let t: TestApp;
  let tokens: TokenEndpoint;
  let dbUrl: string;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    dbUrl = await workerDatabaseUrl();
    t = await startTestApp(internalEnv(issuer));
    tokens = await TokenEndpoint.start(issuer, { [ACTIONS_CLIENT]: SECRET });
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([issuer.stop(), tokens.stop()]);
  });

  const event = (email: string | undefined, overrides: Partial<PreUserRegistrationEvent> = {}) =>
    ({
      secrets: {
        ALPHASWARM_API_URL: t.url,
        ALPHASWARM_M2M_CLIENT_ID: ACTIONS_CLIENT,
        ALPHASWARM_M2M_CLIENT_SECRET: SECRET,
        ALPHASWARM_M2M_AUDIENCE: M2M_AUDIENCE,
        AUTH0_DOMAIN: tokens.origin,
      },
      user: { email },
      connection: { id: 'con_db', name: 'Username-Password-Authentication', strategy: 'auth0' },
      client: { client_id: 'spa', name: 'alphaswarm-spa', metadata: {} },
      request: { ip: '203.0.113.7', query: {} },
      tenant: { id: 'alphaswarm-test' },
      ...overrides,
    }) satisfies PreUserRegistrationEvent;
  const b2b = { client_id: 'spa-b2b', name: 'alphaswarm-b2b', metadata: { flow: 'b2b' } };
  const run = async (e: PreUserRegistrationEvent) => {
    const api = new EmulatedApi();
    await loadAction<PreRegistration>('pre-user-registration.js').exports.onExecutePreUserRegistration(
      e,
      api,
    );
    return api;
  };

  it('lets an ordinary address sign up', async () => {
    expect((await run(event('ada@example.org'))).denied).toBeNull();
  });

  it('refuses a disposable address (any case, any subdomain), telling the person why', async () => {
    for (const email of ['x@mailinator.com', 'X@MX.YOPMAIL.COM']) {
      const api = await run(event(email));
      expect(api.denied).toEqual([
        'disposable_email',
        'Sign-ups with disposable email addresses are not allowed.',
      ]);
    }
  });

  it('refuses a sign-up without an email', async () => {
    expect((await run(event(undefined))).denied?.[0]).toBe('invalid_email');
  });

  it('asks a B2B sign-up for an invite, and lets it through with a live invite for that email', async () => {
    expect((await run(event('bob@acme.example', { client: b2b }))).denied?.[0]).toBe('invite_required');

    const orgId = await new Tenants(t).org(
      'institutional',
      `org_${randomUUID().replace(/-/g, '').slice(0, 12)}`,
    );
    const email = `bob.${randomUUID()}@acme.example`;
    const [row] = await query<SignedInvite>(
      dbUrl,
      `INSERT INTO invites (org_id, email, scope_kind, scope_id, role, expires_at)
       VALUES ($1, $2, 'organization', $1, 'member', date_trunc('second', now()) + interval '1 day')
       RETURNING id, org_id, email, scope_kind, scope_id, role, expires_at`,
      [orgId, email],
    );
    const invite = t.app.get(InviteTokens).sign(row);
    const viaQuery = event(email, {
      client: b2b,
      request: { ip: '203.0.113.7', query: { invite_token: invite } },
    });
    expect((await run(viaQuery)).denied).toBeNull();
    const viaForm = event(email, { client: b2b });
    viaForm.user.user_metadata = { invite_token: invite };
    expect((await run(viaForm)).denied).toBeNull();
    const other = event('mallory@acme.example', { client: b2b });
    other.user.user_metadata = { invite_token: invite };
    expect((await run(other)).denied?.[0]).toBe('invite_email_mismatch');
  });

  it('with the service unreachable: refuses a sign-up that needs an invite, lets any other through', async () => {
    const down = { ALPHASWARM_API_URL: `http://127.0.0.1:${await freePort()}` };
    const b2c = event('ada@example.org');
    b2c.secrets = { ...b2c.secrets, ...down };
    expect((await run(b2c)).denied).toBeNull();
    const invited = event('bob@acme.example', { client: b2b });
    invited.secrets = { ...invited.secrets, ...down };
    expect((await run(invited)).denied?.[0]).toBe('service_unavailable');
  });
});

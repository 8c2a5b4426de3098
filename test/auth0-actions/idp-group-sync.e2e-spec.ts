import { randomUUID } from 'node:crypto';
import type { PostLoginAPI, PostLoginEvent } from '../../auth0/actions/actions';
import { EmulatedApi, loadAction, TokenEndpoint } from '../support/actions-runtime';
import { startTestApp, type TestApp } from '../support/app';
import { workerDatabaseUrl } from '../support/db';
import {
  ACTIONS_CLIENT,
  groupMapping,
  idpConnection,
  internalEnv,
  M2M_AUDIENCE,
  query,
} from '../support/internal';
import { TestIssuer } from '../support/issuer';
import { freePort } from '../support/ports';
import { Tenants } from '../support/tenancy';

type PostLogin = { onExecutePostLogin(event: PostLoginEvent, api: PostLoginAPI): Promise<void> };
const SECRET = 'actions-client-secret-0123456789';

/** auth0/actions/idp-group-sync.js in the emulated runtime, against the running service. */
describe('the IdP group sync Action', () => {
  let issuer: TestIssuer;
  let t: TestApp;
  let tokens: TokenEndpoint;
  let dbUrl: string;
  let org: { orgId: string; auth0Id: string; teamId: string };
  let group: string;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    dbUrl = await workerDatabaseUrl();
    t = await startTestApp(internalEnv(issuer));
    tokens = await TokenEndpoint.start(issuer, { [ACTIONS_CLIENT]: SECRET });
    const auth0Id = `org_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
    const orgId = await new Tenants(t).org('institutional', auth0Id);
    const [team] = await query<{ id: string }>(
      dbUrl,
      `INSERT INTO teams (org_id, name) VALUES ($1, 'Quant') RETURNING id`,
      [orgId],
    );
    org = { orgId, auth0Id, teamId: team.id };
    group = `Quant Researchers ${randomUUID().slice(0, 6)}`;
    const okta = await idpConnection(dbUrl, orgId, 'okta');
    await groupMapping(dbUrl, orgId, okta, group, { kind: 'team', id: team.id, role: 'admin' });
    const google = await idpConnection(dbUrl, orgId, 'google_workspace');
    await groupMapping(dbUrl, orgId, google, group, { kind: 'organization', id: orgId, role: 'member' });
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([issuer.stop(), tokens.stop()]);
  });

  const event = (groups: unknown, overrides: Partial<PostLoginEvent> = {}): PostLoginEvent => ({
    secrets: {
      ALPHASWARM_API_URL: t.url,
      ALPHASWARM_M2M_CLIENT_ID: ACTIONS_CLIENT,
      ALPHASWARM_M2M_CLIENT_SECRET: SECRET,
      ALPHASWARM_M2M_AUDIENCE: M2M_AUDIENCE,
      AUTH0_DOMAIN: tokens.origin,
    },
    user: { user_id: `okta|${randomUUID()}`, email: 'ada@acme.example', groups },
    connection: { id: 'con_okta', name: 'acme-okta', strategy: 'okta' },
    organization: { id: org.auth0Id, name: 'acme' },
    tenant: { id: 'alphaswarm-test' },
    client: { client_id: 'spa', name: 'alphaswarm-spa' },
    request: { ip: '203.0.113.7' },
    ...overrides,
  });
  const run = async (e: PostLoginEvent) => {
    const api = new EmulatedApi();
    const action = loadAction<PostLogin>('idp-group-sync.js');
    await action.exports.onExecutePostLogin(e, api);
    return { api, logs: action.logs };
  };
  const membershipsOf = (sub: string) =>
    query<{ scope_kind: string; role: string; source: string }>(
      dbUrl,
      `SELECT m.scope_kind, m.role, m.source FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.sub = $1
        ORDER BY m.scope_kind`,
      [sub],
    );

  it('turns the mapped groups of an Okta login into memberships, and grants nothing itself', async () => {
    const login = event([group, 'Unmapped']);
    const { api } = await run(login);
    expect(await membershipsOf(login.user.user_id)).toEqual([
      { scope_kind: 'team', role: 'admin', source: 'idp_group' },
    ]);
    expect(api.calls).toEqual([]);
  });

  it('reads the groups of a Google Workspace login (strategy google-apps) from its identity', async () => {
    const login = event(undefined, {
      connection: { id: 'con_g', name: 'acme-google', strategy: 'google-apps' },
    });
    login.user.identities = [
      { connection: 'acme-google', provider: 'google-apps', user_id: '1', profileData: { groups: [group] } },
    ];
    await run(login);
    expect(await membershipsOf(login.user.user_id)).toEqual([
      { scope_kind: 'organization', role: 'member', source: 'idp_group' },
    ]);
  });

  it('removes the memberships of a user who left every group (an empty list is still sent)', async () => {
    const login = event([group]);
    await run(login);
    expect(await membershipsOf(login.user.user_id)).toHaveLength(1);
    await run({ ...login, user: { ...login.user, groups: [] } });
    expect(await membershipsOf(login.user.user_id)).toEqual([]);
  });

  it('never takes groups from user_metadata, which the user can write', async () => {
    const login = event(undefined);
    login.user.user_metadata = { groups: [group] };
    await run(login);
    expect(await membershipsOf(login.user.user_id)).toEqual([]);
  });

  it('does not call the service for a social login or a login outside an Auth0 Organization', async () => {
    const before = tokens.grants;
    await run(event([group], { connection: { id: 'c', name: 'google-oauth2', strategy: 'google-oauth2' } }));
    await run(event([group], { organization: undefined }));
    expect(tokens.grants).toBe(before);
  });

  describe('on failure it grants nothing and lets the login go on', () => {
    it('with the service unreachable: no claim, no deny, memberships unchanged, no group name logged', async () => {
      const login = event([group]);
      login.secrets = { ...login.secrets, ALPHASWARM_API_URL: `http://127.0.0.1:${await freePort()}` };
      const { api, logs } = await run(login);
      expect(api.calls).toEqual([]);
      expect(await membershipsOf(login.user.user_id)).toEqual([]);
      expect(logs.join('\n')).toContain('alphaswarm_idp_group_sync_failed');
      expect(logs.join('\n')).not.toContain(group);
    });

    it('with the token endpoint failing', async () => {
      tokens.failWith = 500;
      try {
        const login = event([group]);
        const { api } = await run(login);
        expect(api.calls).toEqual([]);
        expect(await membershipsOf(login.user.user_id)).toEqual([]);
      } finally {
        tokens.failWith = undefined;
      }
    });

    it('with the service refusing the call (a client it does not admit)', async () => {
      const login = event([group]);
      login.secrets = { ...login.secrets, ALPHASWARM_M2M_AUDIENCE: 'https://not-the-internal-audience/' };
      const { api } = await run(login);
      expect(api.calls).toEqual([]);
      expect(await membershipsOf(login.user.user_id)).toEqual([]);
    });
  });
});

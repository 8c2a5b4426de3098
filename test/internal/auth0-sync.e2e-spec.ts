import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { startTestApp, type TestApp } from '../support/app';
import { workerDatabaseUrl } from '../support/db';
import { internalEnv, m2mClaims, M2M_AUDIENCE, query } from '../support/internal';
import { TestIssuer } from '../support/issuer';
import { POSTGRES } from '../support/services';
import { TcpProxy } from '../support/tcp-proxy';
import { Tenants } from '../support/tenancy';
import { waitFor } from '../support/wait';

const UUID = expect.stringMatching(/^[0-9a-f-]{36}$/);
const auth0Org = () => `org_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
const newSub = () => `auth0|${randomUUID()}`;

/**
 * `POST /_internal/auth0/sync`: the JIT upsert the post-login Action calls on every login. Real
 * Postgres, real tokens from a loopback issuer; rows are read back as the superuser sees them.
 */
describe('POST /_internal/auth0/sync', () => {
  let issuer: TestIssuer;
  let t: TestApp;
  let dbUrl: string;
  let token: string;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    dbUrl = await workerDatabaseUrl();
    t = await startTestApp(internalEnv(issuer));
    token = await issuer.token(m2mClaims());
  });
  afterAll(async () => {
    await t.close();
    await issuer.stop();
  });

  const sync = (body: unknown, app: TestApp = t, bearer = token) =>
    app
      .http()
      .post('/_internal/auth0/sync')
      .set('Authorization', `Bearer ${bearer}`)
      .send(body as object);
  const personalOrgsOf = (userId: string) =>
    query<{ id: string }>(dbUrl, `SELECT id FROM organizations WHERE personal_owner_id = $1`, [userId]);

  describe('a B2C login (no Auth0 Organization)', () => {
    it('creates the user, a personal organization and its default workspace, and returns their claims', async () => {
      const sub = newSub();
      const res = await sync({
        user_id: sub,
        email: 'Ada@Example.com',
        requested_claims: { connection: 'google-oauth2', strategy: 'google-oauth2' },
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        org_id: UUID,
        team_id: null,
        workspace_id: UUID,
        project_id: null,
        lab_id: null,
        roles: ['owner'],
        connection: 'google-oauth2',
        internal_user_id: UUID,
      });
      const [user] = await query<{ id: string; email: string; last_connection: string }>(
        dbUrl,
        `SELECT id, email, last_connection FROM users WHERE sub = $1`,
        [sub],
      );
      expect(user).toEqual({
        id: res.body.internal_user_id,
        email: 'ada@example.com',
        last_connection: 'google-oauth2',
      });
      const [org] = await query<{ kind: string; personal_owner_id: string }>(
        dbUrl,
        `SELECT kind, personal_owner_id FROM organizations WHERE id = $1`,
        [res.body.org_id],
      );
      expect(org).toEqual({ kind: 'personal', personal_owner_id: user.id });
      const memberships = await query(
        dbUrl,
        `SELECT scope_kind, role, source FROM memberships WHERE user_id = $1`,
        [user.id],
      );
      expect(memberships).toEqual([{ scope_kind: 'organization', role: 'owner', source: 'jit' }]);
      const [workspace] = await query<{ org_id: string }>(
        dbUrl,
        `SELECT org_id FROM workspaces WHERE id = $1`,
        [res.body.workspace_id],
      );
      expect(workspace.org_id).toBe(res.body.org_id);
    });

    it('returns the same claims on every later login and creates nothing more', async () => {
      const sub = newSub();
      const first = await sync({ user_id: sub, email: null });
      const again = await sync({ user_id: sub, email: null, requested_claims: { connection: 'github' } });
      expect(again.status).toBe(200);
      expect({ ...again.body, connection: null }).toEqual(first.body);
      expect(again.body.connection).toBe('github');
      expect(await personalOrgsOf(first.body.internal_user_id)).toHaveLength(1);
      const workspaces = await query(dbUrl, `SELECT id FROM workspaces WHERE org_id = $1`, [
        first.body.org_id,
      ]);
      expect(workspaces).toHaveLength(1);
    });

    it('keeps a stored email when a later login carries none', async () => {
      const sub = newSub();
      await sync({ user_id: sub, email: 'kept@example.com' });
      await sync({ user_id: sub, email: null });
      const [user] = await query<{ email: string }>(dbUrl, `SELECT email FROM users WHERE sub = $1`, [sub]);
      expect(user.email).toBe('kept@example.com');
    });

    it('50 concurrent first logins of one user, on two instances, make one user, one organization, one workspace', async () => {
      const sub = newSub();
      const other = await startTestApp(internalEnv(issuer));
      let responses: Awaited<ReturnType<typeof sync>>[];
      try {
        responses = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            sync({ user_id: sub, email: 'race@example.com' }, i % 2 ? other : t),
          ),
        );
      } finally {
        await other.close();
      }
      expect(responses.map((res) => res.status)).toEqual(Array(50).fill(200));
      expect(new Set(responses.map((res) => res.body.internal_user_id as string)).size).toBe(1);
      expect(new Set(responses.map((res) => res.body.org_id as string)).size).toBe(1);
      expect(new Set(responses.map((res) => res.body.workspace_id as string)).size).toBe(1);

      const users = await query<{ id: string }>(dbUrl, `SELECT id FROM users WHERE sub = $1`, [sub]);
      expect(users).toHaveLength(1);
      expect(await personalOrgsOf(users[0].id)).toHaveLength(1);
      const workspaces = await query(dbUrl, `SELECT id FROM workspaces WHERE org_id = $1`, [
        responses[0].body.org_id,
      ]);
      expect(workspaces).toHaveLength(1);
      const memberships = await query(dbUrl, `SELECT id FROM memberships WHERE user_id = $1`, [users[0].id]);
      expect(memberships).toHaveLength(1);
    });

    it('writes one ledger row per call, in the organization it landed in, naming the connection', async () => {
      const sub = newSub();
      const res = await sync({
        user_id: sub,
        email: null,
        requested_claims: { connection: 'azure-ad-acme' },
      });
      await sync({ user_id: sub, email: null, requested_claims: { connection: 'azure-ad-acme' } });
      const rows = await query<{
        org_id: string;
        user_id: string;
        actor_user_id: string;
        route: string;
        details: Record<string, unknown>;
      }>(
        dbUrl,
        `SELECT org_id, user_id, actor_user_id, route, details FROM security_audit_events
          WHERE event_type = 'auth0.sync' AND user_id = $1 ORDER BY seq`,
        [sub],
      );
      expect(rows).toHaveLength(2);
      expect(rows[0]).toMatchObject({
        org_id: res.body.org_id,
        actor_user_id: 'auth0-actions-client@clients',
        route: '/_internal/auth0/sync',
        details: {
          internal_user_id: res.body.internal_user_id,
          connection: 'azure-ad-acme',
          created: ['user', 'organization', 'workspace', 'membership'],
        },
      });
      expect(rows[1].details.created).toEqual([]);
    });
  });

  describe('a login through an Auth0 Organization', () => {
    it('20 concurrent first logins into a new Auth0 Organization make one institutional organization', async () => {
      const id = auth0Org();
      const responses = await Promise.all(
        Array.from({ length: 20 }, () =>
          sync({ user_id: newSub(), email: null, organization_id: id, organization_name: 'Acme Research' }),
        ),
      );
      expect(responses.map((res) => res.status)).toEqual(Array(20).fill(200));
      const orgs = await query<{ id: string; kind: string; name: string }>(
        dbUrl,
        `SELECT id, kind, name FROM organizations WHERE auth0_org_id = $1`,
        [id],
      );
      expect(orgs).toEqual([{ id: expect.any(String), kind: 'institutional', name: 'Acme Research' }]);
      expect(new Set(responses.map((res) => res.body.org_id as string))).toEqual(new Set([orgs[0].id]));
      // Belonging to the Auth0 Organization grants no role here (ADR 0010): none of them got a personal org either.
      expect(responses.every((res) => res.body.roles === null && res.body.workspace_id === null)).toBe(true);
      const personal = await query(
        dbUrl,
        `SELECT o.id FROM organizations o JOIN users u ON u.id = o.personal_owner_id WHERE u.id = ANY($1::uuid[])`,
        [responses.map((res) => res.body.internal_user_id as string)],
      );
      expect(personal).toEqual([]);
    });

    it('names a new organization after its Auth0 id when the login gives no name', async () => {
      const id = auth0Org();
      const res = await sync({ user_id: newSub(), email: null, organization_id: id, organization_name: '' });
      const [org] = await query<{ name: string }>(dbUrl, `SELECT name FROM organizations WHERE id = $1`, [
        res.body.org_id,
      ]);
      expect(org.name).toBe(id);
    });

    it('returns the roles and default workspace the user holds in an existing organization', async () => {
      const tenants = new Tenants(t);
      const id = auth0Org();
      const orgId = await tenants.org('institutional', id);
      const user = await tenants.user();
      const [team] = await query<{ id: string }>(
        dbUrl,
        `INSERT INTO teams (org_id, name) VALUES ($1, 'Quant') RETURNING id`,
        [orgId],
      );
      const [workspace] = await query<{ id: string }>(
        dbUrl,
        `INSERT INTO workspaces (org_id, team_id, name) VALUES ($1, $2, 'Alpha') RETURNING id`,
        [orgId, team.id],
      );
      await tenants.grant(user.id, orgId, 'member', 'team', team.id, 'invite');
      await tenants.grant(user.id, orgId, 'admin', 'organization', orgId, 'manual');

      const res = await sync({ user_id: user.sub, email: null, organization_id: id });
      expect(res.body).toEqual({
        org_id: orgId,
        team_id: team.id,
        workspace_id: workspace.id,
        project_id: null,
        lab_id: null,
        roles: ['admin', 'member'],
        connection: null,
        internal_user_id: user.id,
      });
    });

    it('never changes an existing organization or the memberships in it', async () => {
      const tenants = new Tenants(t);
      const id = auth0Org();
      const orgId = await tenants.org('institutional', id);
      const before = await query(dbUrl, `SELECT name, kind FROM organizations WHERE id = $1`, [orgId]);
      const user = await tenants.user();
      await tenants.grant(user.id, orgId, 'viewer', 'organization', orgId, 'manual');
      await sync({
        user_id: user.sub,
        email: null,
        organization_id: id,
        organization_name: 'Renamed by a stranger',
      });
      expect(await query(dbUrl, `SELECT name, kind FROM organizations WHERE id = $1`, [orgId])).toEqual(
        before,
      );
      expect(
        await query(dbUrl, `SELECT role, source FROM memberships WHERE user_id = $1`, [user.id]),
      ).toEqual([{ role: 'viewer', source: 'manual' }]);
    });
  });

  describe('ALPHASWARM_TENANCY_DEFAULT_STRATEGY', () => {
    it('institutional: a login without an Auth0 Organization makes the user and no organization', async () => {
      const b2b = await startTestApp(
        internalEnv(issuer, { ALPHASWARM_TENANCY_DEFAULT_STRATEGY: 'institutional' }),
      );
      try {
        const res = await sync({ user_id: newSub(), email: null }, b2b);
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({
          org_id: null,
          workspace_id: null,
          roles: null,
          internal_user_id: UUID,
        });
        expect(await personalOrgsOf(res.body.internal_user_id)).toEqual([]);
      } finally {
        await b2b.close();
      }
    });

    it('personal: a login through an Auth0 Organization lands in the personal organization', async () => {
      const b2c = await startTestApp(
        internalEnv(issuer, { ALPHASWARM_TENANCY_DEFAULT_STRATEGY: 'personal' }),
      );
      try {
        const id = auth0Org();
        const res = await sync({ user_id: newSub(), email: null, organization_id: id }, b2c);
        expect(res.body.roles).toEqual(['owner']);
        expect(await personalOrgsOf(res.body.internal_user_id)).toEqual([{ id: res.body.org_id }]);
        expect(await query(dbUrl, `SELECT id FROM organizations WHERE auth0_org_id = $1`, [id])).toEqual([]);
      } finally {
        await b2c.close();
      }
    });
  });

  describe('who may call it', () => {
    it('refuses a user token with 403 not_m2m and an agent token with 403 agent_not_allowed', async () => {
      const user = await issuer.token({ sub: newSub(), permissions: ['admin:cluster'] });
      expect((await sync({ user_id: newSub(), email: null }, t, user)).body.reason).toBe('not_m2m');
      const agent = await issuer.token({ sub: newSub(), act: { sub: 'agent|helper' } });
      const res = await sync({ user_id: newSub(), email: null }, t, agent);
      expect([res.status, res.body.reason]).toEqual([403, 'agent_not_allowed']);
    });

    it('refuses <allowed>@clients without gty from another azp, and a client not on the list', async () => {
      const forged = await issuer.token({
        sub: 'auth0-actions-client@clients',
        azp: 'stranger',
        aud: M2M_AUDIENCE,
      });
      expect((await sync({ user_id: newSub(), email: null }, t, forged)).body.reason).toBe('not_m2m');
      const stranger = await issuer.token(m2mClaims('stranger'));
      const res = await sync({ user_id: newSub(), email: null }, t, stranger);
      expect([res.status, res.body.reason]).toEqual([403, 'not_m2m']);
    });

    it('refuses a missing token with 401 and creates nothing', async () => {
      const sub = newSub();
      const res = await t.http().post('/_internal/auth0/sync').send({ user_id: sub, email: null });
      expect([res.status, res.body.reason]).toEqual([401, 'missing_token']);
      expect(await query(dbUrl, `SELECT id FROM users WHERE sub = $1`, [sub])).toEqual([]);
    });
  });

  describe('bad input', () => {
    const refused = async (body: unknown) => {
      const res = await sync(body);
      return [res.status, res.body.reason] as const;
    };

    it.each([
      ['a missing user_id', { email: null }],
      ['a missing email', { user_id: 'auth0|x' }],
      ['a bad email', { user_id: 'auth0|x', email: 'not an email' }],
      ['an unknown field', { user_id: 'auth0|x', email: null, is_admin: true }],
      ['an unknown nested field', { user_id: 'auth0|x', email: null, requested_claims: { role: 'owner' } }],
      ['a number for user_id', { user_id: 42, email: null }],
      ['a string for requested_claims', { user_id: 'auth0|x', email: null, requested_claims: 'github' }],
      [
        'an organization id that is not org_…',
        { user_id: 'auth0|x', email: null, organization_id: "org_'; --" },
      ],
      ['a machine subject', { user_id: 'some-client@clients', email: null }],
      ['an agent subject', { user_id: 'agent|helper', email: null }],
      ['whitespace in user_id', { user_id: 'auth0|a b', email: null }],
      ['an array body', [{ user_id: 'auth0|x', email: null }]],
    ])('refuses %s with 400 invalid_request', async (_what, body) => {
      expect(await refused(body)).toEqual([400, 'invalid_request']);
    });

    it('refuses a body that is not JSON with 400 malformed_body, and never echoes it', async () => {
      const res = await t
        .http()
        .post('/_internal/auth0/sync')
        .set('Authorization', `Bearer ${token}`)
        .set('content-type', 'application/json')
        .send('{"user_id": "auth0|secret-echo"');
      expect([res.status, res.body.reason]).toEqual([400, 'malformed_body']);
      expect(res.text).not.toContain('secret-echo');
    });

    it('refuses a 2 MiB body with 413 payload_too_large', async () => {
      const res = await sync({
        user_id: 'auth0|x',
        email: null,
        organization_name: 'x'.repeat(2 * 1024 * 1024),
      });
      expect([res.status, res.body.reason]).toEqual([413, 'payload_too_large']);
    });
  });

  describe('with Postgres unreachable', () => {
    let proxy: TcpProxy;
    let down: TestApp;

    beforeAll(async () => {
      proxy = await TcpProxy.start(POSTGRES);
      const url = new URL(dbUrl);
      url.port = String(proxy.port);
      down = await startTestApp(internalEnv(issuer, { DATABASE_URL: url.toString() }));
    });
    afterAll(async () => {
      await down.close();
      await proxy.down();
    });

    /** Pooled connections the cut left behind fail once each; then the sync succeeds. */
    const syncsAgain = (sub: string) =>
      waitFor(
        async () => {
          const attempt = await sync({ user_id: sub, email: null }, down);
          return attempt.status === 200 ? attempt : null;
        },
        { what: 'the sync to succeed again' },
      );

    it('answers 503 service_unavailable and stores nothing', async () => {
      await proxy.down();
      const sub = newSub();
      const res = await sync({ user_id: sub, email: null }, down);
      expect([res.status, res.body.reason]).toEqual([503, 'service_unavailable']);
      await proxy.up();
      expect(await query(dbUrl, `SELECT id FROM users WHERE sub = $1`, [sub])).toEqual([]);
      // Once Postgres is reachable again, the same login goes through.
      expect((await syncsAgain(sub))?.body.roles).toEqual(['owner']);
    });

    it('leaves no half-created rows when the connection drops in the middle of the transaction', async () => {
      const sub = newSub();
      const counts = () =>
        query(
          dbUrl,
          `SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM organizations) AS organizations,
                  (SELECT count(*) FROM workspaces) AS workspaces, (SELECT count(*) FROM memberships) AS memberships`,
        );
      const before = await counts();
      // Hold the workspaces table, so the sync stops after inserting the user and the organization.
      const blocker = new Client({ connectionString: dbUrl });
      await blocker.connect();
      let blocked: number;
      try {
        await blocker.query('BEGIN');
        await blocker.query('LOCK TABLE workspaces IN ACCESS EXCLUSIVE MODE');
        const pending = sync({ user_id: sub, email: null }, down).then((res) => res);
        blocked = await waitFor(
          async () =>
            (
              await blocker.query<{ pid: number }>(
                `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
              )
            ).rows[0]?.pid,
          { what: 'the sync waiting on the workspaces lock' },
        );
        await proxy.down();
        const res = await pending;
        expect([res.status, res.body.reason]).toEqual([503, 'service_unavailable']);
      } finally {
        await blocker.query('ROLLBACK');
        await blocker.end();
      }
      // Released, the backend finds its client gone at its next read and rolls back: nothing commits.
      await waitFor(
        async () =>
          (await query(dbUrl, `SELECT 1 FROM pg_stat_activity WHERE pid = $1`, [blocked])).length === 0,
        { what: 'the cut transaction to end' },
      );
      expect(await counts()).toEqual(before);
      expect(await query(dbUrl, `SELECT id FROM users WHERE sub = $1`, [sub])).toEqual([]);

      await proxy.up();
      expect((await syncsAgain(sub))?.body.roles).toEqual(['owner']);
    });
  });
});

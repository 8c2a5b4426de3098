import { randomUUID } from 'node:crypto';
import { type CapturedApp, startCapturedApp } from '../support/captured-app';
import { workerDatabaseUrl } from '../support/db';
import { groupMapping, idpConnection, internalEnv, m2mClaims, query } from '../support/internal';
import { TestIssuer } from '../support/issuer';
import { Tenants } from '../support/tenancy';
import { startTestApp, type TestApp } from '../support/app';
import { POSTGRES } from '../support/services';
import { TcpProxy } from '../support/tcp-proxy';

const auth0Org = () => `org_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
/** Group names no response, error, log line or ledger row may ever contain. */
const secretGroup = (label: string) => `grp-${label}-${randomUUID().slice(0, 8)}`;

interface Org {
  orgId: string;
  auth0Id: string;
  teamId: string;
  okta: string;
}

/**
 * `POST /_internal/idp/sync-groups`: the IdP groups of a login become `idp_group` memberships through the
 * organization's group mappings, and stop being memberships when the groups stop granting them.
 */
describe('POST /_internal/idp/sync-groups', () => {
  let issuer: TestIssuer;
  let t: TestApp;
  let tenants: Tenants;
  let dbUrl: string;
  let token: string;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    dbUrl = await workerDatabaseUrl();
    t = await startTestApp(internalEnv(issuer));
    tenants = new Tenants(t);
    token = await issuer.token(m2mClaims());
  });
  afterAll(async () => {
    await t.close();
    await issuer.stop();
  });

  const syncGroups = (body: unknown, bearer = token) =>
    t
      .http()
      .post('/_internal/idp/sync-groups')
      .set('Authorization', `Bearer ${bearer}`)
      .send(body as object);

  /** An institutional organization with a team and an active Okta connection. */
  async function organization(): Promise<Org> {
    const auth0Id = auth0Org();
    const orgId = await tenants.org('institutional', auth0Id);
    const [team] = await query<{ id: string }>(
      dbUrl,
      `INSERT INTO teams (org_id, name) VALUES ($1, 'Quant') RETURNING id`,
      [orgId],
    );
    return { orgId, auth0Id, teamId: team.id, okta: await idpConnection(dbUrl, orgId, 'okta') };
  }
  const membershipsOf = (sub: string) =>
    query<{ org_id: string; scope_kind: string; scope_id: string; role: string; source: string }>(
      dbUrl,
      `SELECT m.org_id, m.scope_kind, m.scope_id, m.role, m.source FROM memberships m JOIN users u ON u.id = m.user_id
        WHERE u.sub = $1 ORDER BY m.scope_kind, m.source`,
      [sub],
    );

  it('grants what the mapped groups grant, as idp_group memberships, and never names a group', async () => {
    const o = await organization();
    const engineering = secretGroup('engineering');
    const quants = secretGroup('quants');
    await groupMapping(dbUrl, o.orgId, o.okta, engineering, {
      kind: 'organization',
      id: o.orgId,
      role: 'member',
    });
    await groupMapping(dbUrl, o.orgId, o.okta, quants, { kind: 'team', id: o.teamId, role: 'admin' });
    const sub = `samlp|${randomUUID()}`;

    const res = await syncGroups({
      user_id: sub,
      auth0_organization_id: o.auth0Id,
      connection_kind: 'okta',
      external_groups: [engineering, quants, secretGroup('unmapped')],
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      org_id: o.orgId,
      memberships: [
        { scope_kind: 'organization', scope_id: o.orgId, role: 'member' },
        { scope_kind: 'team', scope_id: o.teamId, role: 'admin' },
      ],
      granted: 2,
      changed: 0,
      removed: 0,
    });
    expect(res.text).not.toContain('grp-');
    expect(await membershipsOf(sub)).toEqual([
      { org_id: o.orgId, scope_kind: 'organization', scope_id: o.orgId, role: 'member', source: 'idp_group' },
      { org_id: o.orgId, scope_kind: 'team', scope_id: o.teamId, role: 'admin', source: 'idp_group' },
    ]);
    const ledger = await query<{ details: unknown }>(
      dbUrl,
      `SELECT details FROM security_audit_events WHERE event_type = 'auth0.idp_group_sync' AND user_id = $1`,
      [sub],
    );
    expect(ledger).toHaveLength(1);
    expect(JSON.stringify(ledger)).not.toContain('grp-');
    expect(ledger[0].details).toMatchObject({ groups_received: 3, granted: 2, connection_kind: 'okta' });
  });

  it('removes the idp_group memberships the groups no longer grant, and only those', async () => {
    const o = await organization();
    const engineering = secretGroup('engineering');
    await groupMapping(dbUrl, o.orgId, o.okta, engineering, { kind: 'team', id: o.teamId, role: 'admin' });
    const user = await tenants.user(`samlp|${randomUUID()}`);
    const [workspace] = await query<{ id: string }>(
      dbUrl,
      `INSERT INTO workspaces (org_id, name) VALUES ($1, 'Alpha') RETURNING id`,
      [o.orgId],
    );
    await tenants.grant(user.id, o.orgId, 'viewer', 'organization', o.orgId, 'manual');
    await tenants.grant(user.id, o.orgId, 'member', 'workspace', workspace.id, 'invite');
    const body = { user_id: user.sub, auth0_organization_id: o.auth0Id, connection_kind: 'okta' };

    expect((await syncGroups({ ...body, external_groups: [engineering] })).body.granted).toBe(1);
    const res = await syncGroups({ ...body, external_groups: [] });
    expect(res.body).toMatchObject({ memberships: [], granted: 0, removed: 1 });
    expect(await membershipsOf(user.sub)).toEqual([
      { org_id: o.orgId, scope_kind: 'organization', scope_id: o.orgId, role: 'viewer', source: 'manual' },
      { org_id: o.orgId, scope_kind: 'workspace', scope_id: workspace.id, role: 'member', source: 'invite' },
    ]);
  });

  it('never changes a manual, invite or JIT membership on a scope a group also maps', async () => {
    const o = await organization();
    const admins = secretGroup('admins');
    await groupMapping(dbUrl, o.orgId, o.okta, admins, { kind: 'organization', id: o.orgId, role: 'owner' });
    await groupMapping(dbUrl, o.orgId, o.okta, admins, { kind: 'team', id: o.teamId, role: 'viewer' });
    const user = await tenants.user(`samlp|${randomUUID()}`);
    await tenants.grant(user.id, o.orgId, 'member', 'organization', o.orgId, 'jit');
    await tenants.grant(user.id, o.orgId, 'admin', 'team', o.teamId, 'invite');

    const res = await syncGroups({
      user_id: user.sub,
      auth0_organization_id: o.auth0Id,
      connection_kind: 'okta',
      external_groups: [admins],
    });
    expect(res.body).toMatchObject({ granted: 0, changed: 0, removed: 0, memberships: [] });
    expect((await membershipsOf(user.sub)).map((m) => [m.scope_kind, m.role, m.source])).toEqual([
      ['organization', 'member', 'jit'],
      ['team', 'admin', 'invite'],
    ]);
  });

  it('follows a mapping whose role changed, and keeps the highest role when two groups map one scope', async () => {
    const o = await organization();
    const [low, high] = [secretGroup('low'), secretGroup('high')];
    await groupMapping(dbUrl, o.orgId, o.okta, low, { kind: 'team', id: o.teamId, role: 'viewer' });
    await groupMapping(dbUrl, o.orgId, o.okta, high, { kind: 'team', id: o.teamId, role: 'admin' });
    const body = {
      user_id: `samlp|${randomUUID()}`,
      auth0_organization_id: o.auth0Id,
      connection_kind: 'okta',
    };

    expect((await syncGroups({ ...body, external_groups: [low, high] })).body.memberships).toEqual([
      { scope_kind: 'team', scope_id: o.teamId, role: 'admin' },
    ]);
    const res = await syncGroups({ ...body, external_groups: [low] });
    expect(res.body).toMatchObject({ changed: 1, memberships: [{ scope_kind: 'team', role: 'viewer' }] });
  });

  it('grants nothing through a disabled connection or a connection of another kind', async () => {
    const o = await organization();
    const group = secretGroup('eng');
    const disabled = await idpConnection(dbUrl, o.orgId, 'entra', 'disabled');
    await groupMapping(dbUrl, o.orgId, disabled, group, { kind: 'team', id: o.teamId, role: 'admin' });
    await groupMapping(dbUrl, o.orgId, o.okta, group, { kind: 'organization', id: o.orgId, role: 'admin' });
    const sub = `waad|${randomUUID()}`;

    const res = await syncGroups({
      user_id: sub,
      auth0_organization_id: o.auth0Id,
      connection_kind: 'entra',
      external_groups: [group],
    });
    expect(res.body).toMatchObject({ org_id: o.orgId, granted: 0, memberships: [] });
    expect(await membershipsOf(sub)).toEqual([]);
  });

  it('grants nothing in another organization: an Auth0 Organization id reaches only its own mappings', async () => {
    const [mine, theirs] = [await organization(), await organization()];
    const group = secretGroup('shared-name');
    await groupMapping(dbUrl, theirs.orgId, theirs.okta, group, {
      kind: 'organization',
      id: theirs.orgId,
      role: 'owner',
    });
    const sub = `samlp|${randomUUID()}`;

    const res = await syncGroups({
      user_id: sub,
      auth0_organization_id: mine.auth0Id,
      connection_kind: 'okta',
      external_groups: [group],
    });
    expect(res.body).toMatchObject({ org_id: mine.orgId, granted: 0 });
    const unknown = await syncGroups({
      user_id: sub,
      auth0_organization_id: auth0Org(),
      connection_kind: 'okta',
      external_groups: [group],
    });
    expect(unknown.body).toEqual({ org_id: null, memberships: [], granted: 0, changed: 0, removed: 0 });
    const none = await syncGroups({
      user_id: sub,
      auth0_organization_id: null,
      connection_kind: 'okta',
      external_groups: [group],
    });
    expect(none.body.org_id).toBeNull();
    expect(await membershipsOf(sub)).toEqual([]);
  });

  it('admits only the internal M2M clients', async () => {
    const body = {
      user_id: 'samlp|x',
      auth0_organization_id: null,
      connection_kind: 'okta',
      external_groups: [],
    };
    const user = await issuer.token({ sub: 'auth0|alice' });
    expect((await syncGroups(body, user)).body.reason).toBe('not_m2m');
    const agent = await issuer.token({ sub: 'auth0|alice', act: { sub: 'agent|helper' } });
    expect((await syncGroups(body, agent)).body.reason).toBe('agent_not_allowed');
  });

  describe('bad input', () => {
    const valid = {
      user_id: 'samlp|x',
      auth0_organization_id: null,
      connection_kind: 'okta',
      external_groups: [],
    };

    it.each([
      ['a missing user_id', { ...valid, user_id: undefined }],
      ['a missing auth0_organization_id', { ...valid, auth0_organization_id: undefined }],
      ['an unknown connection_kind', { ...valid, connection_kind: 'myspace' }],
      ['groups that are not a list', { ...valid, external_groups: 'engineering' }],
      ['a group that is not a string', { ...valid, external_groups: [42] }],
      ['an empty group name', { ...valid, external_groups: [''] }],
      [
        'more than 1,000 groups',
        { ...valid, external_groups: Array.from({ length: 1001 }, (_, i) => `g${i}`) },
      ],
      ['an unknown field', { ...valid, roles: ['owner'] }],
    ])('refuses %s with 400 invalid_request', async (_what, body) => {
      const res = await syncGroups(body);
      expect([res.status, res.body.reason]).toEqual([400, 'invalid_request']);
    });

    it('refuses a 2 MiB body with 413', async () => {
      const res = await syncGroups({ ...valid, external_groups: ['x'.repeat(2 * 1024 * 1024)] });
      expect([res.status, res.body.reason]).toEqual([413, 'payload_too_large']);
    });
  });

  describe('under ALPHASWARM_TENANCY_RLS_ENFORCE=strict, and with Postgres unreachable', () => {
    let strict: TestApp;
    let proxy: TcpProxy;

    beforeAll(async () => {
      proxy = await TcpProxy.start(POSTGRES);
      const url = new URL(dbUrl);
      url.port = String(proxy.port);
      strict = await startTestApp(
        internalEnv(issuer, { ALPHASWARM_TENANCY_RLS_ENFORCE: 'strict', DATABASE_URL: url.toString() }),
      );
    });
    afterAll(async () => {
      await strict.close();
      await proxy.down();
    });
    const call = (body: unknown) =>
      strict
        .http()
        .post('/_internal/idp/sync-groups')
        .set('Authorization', `Bearer ${token}`)
        .send(body as object);

    it('grants and removes inside the row-level scope of the organization', async () => {
      const o = await organization();
      const group = secretGroup('strict');
      await groupMapping(dbUrl, o.orgId, o.okta, group, { kind: 'team', id: o.teamId, role: 'member' });
      const body = {
        user_id: `samlp|${randomUUID()}`,
        auth0_organization_id: o.auth0Id,
        connection_kind: 'okta',
      };
      expect((await call({ ...body, external_groups: [group] })).body).toMatchObject({ granted: 1 });
      expect((await call({ ...body, external_groups: [] })).body).toMatchObject({ removed: 1 });
    });

    it('answers 503 service_unavailable and changes nothing while Postgres is unreachable', async () => {
      const o = await organization();
      const group = secretGroup('down');
      await groupMapping(dbUrl, o.orgId, o.okta, group, { kind: 'team', id: o.teamId, role: 'member' });
      const sub = `samlp|${randomUUID()}`;
      await proxy.down();
      try {
        const res = await call({
          user_id: sub,
          auth0_organization_id: o.auth0Id,
          connection_kind: 'okta',
          external_groups: [group],
        });
        expect([res.status, res.body.reason]).toEqual([503, 'service_unavailable']);
        expect(res.text).not.toContain(group);
      } finally {
        await proxy.up();
      }
      expect(await membershipsOf(sub)).toEqual([]);
    });
  });

  describe('logs', () => {
    let captured: CapturedApp;

    beforeAll(async () => {
      captured = await startCapturedApp(internalEnv(issuer));
    });
    afterAll(async () => {
      await captured.close();
    });

    it('carry no group name, whether the sync succeeds or its input is refused', async () => {
      const o = await organization();
      const group = secretGroup('logged');
      await groupMapping(dbUrl, o.orgId, o.okta, group, { kind: 'team', id: o.teamId, role: 'member' });
      const call = (body: unknown) =>
        captured
          .http()
          .post('/_internal/idp/sync-groups')
          .set('Authorization', `Bearer ${token}`)
          .send(body as object);
      const base = {
        user_id: `samlp|${randomUUID()}`,
        auth0_organization_id: o.auth0Id,
        connection_kind: 'okta',
      };

      const responses = [
        await call({ ...base, external_groups: [group] }),
        await call({ ...base, external_groups: [group, 'y'.repeat(600)] }),
        await call({ ...base, external_groups: [group, 7] }),
        await call({ ...base, connection_kind: group, external_groups: [group] }),
      ];
      expect(responses.map((res) => res.status)).toEqual([200, 400, 400, 400]);
      expect(captured.lines.length).toBeGreaterThan(3);
      for (const text of [...responses.map((res) => res.text), ...captured.lines])
        expect(text).not.toContain(group);
    });
  });
});

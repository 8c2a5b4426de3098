import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { startTestApp, type TestApp } from '../support/app';
import { workerDatabaseUrl } from '../support/db';
import { TestIssuer } from '../support/issuer';
import { Tenants } from '../support/tenancy';

const now = () => Math.floor(Date.now() / 1000);

interface LedgerEvent {
  event_type: string;
  outcome: string;
  org_id: string;
  user_id: string;
  route: string;
  request_id: string;
  details: Record<string, unknown>;
}

/** Every tenancy change lands in the security audit ledger, in the change's own transaction. */
describe('tenancy changes in the audit ledger', () => {
  let issuer: TestIssuer;
  let t: TestApp;
  let tenants: Tenants;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    t = await startTestApp({ ...issuer.env(), ALPHASWARM_TENANCY_RLS_ENFORCE: 'strict' });
    tenants = new Tenants(t);
  });
  afterAll(async () => {
    await t.close();
    await issuer.stop();
  });

  async function owner() {
    const user = await tenants.member('owner');
    const token = await issuer.token({
      sub: user.sub,
      permissions: ['admin:tenant'],
      amr: ['mfa'],
      auth_time: now(),
    });
    return { ...user, token };
  }

  const events = async (orgId: string, token: string, type: string): Promise<LedgerEvent[]> => {
    const res = await t
      .http()
      .get(`/audit/events?event_type=${type}`)
      .set('Authorization', `Bearer ${token}`)
      .set('X-AlphaSwarm-Org', orgId);
    expect(res.status).toBe(200);
    return res.body.events as LedgerEvent[];
  };

  it('records who removed which member, from which request, on the organization’s chain', async () => {
    const o = await owner();
    const base = `/tenancy/orgs/${o.orgId}/members`;
    const memberSub = `auth0|${randomUUID()}`;
    const added = await t
      .http()
      .post(base)
      .set('Authorization', `Bearer ${o.token}`)
      .send({ user_sub: memberSub, role: 'viewer' });
    const removed = await t
      .http()
      .delete(`${base}/${added.body.id as string}`)
      .set('Authorization', `Bearer ${o.token}`);
    expect(removed.status).toBe(204);

    const [event] = await events(o.orgId, o.token, 'tenancy.member_removed');
    expect(event).toMatchObject({
      outcome: 'success',
      org_id: o.orgId,
      user_id: o.sub,
      route: '/tenancy/orgs/:orgId/members/:membershipId',
      request_id: removed.headers['x-request-id'],
      details: {
        membership_id: added.body.id,
        member_sub: memberSub,
        role: 'viewer',
        scope_kind: 'organization',
      },
    });
    expect(await events(o.orgId, o.token, 'tenancy.member_added')).toHaveLength(1);
  });

  it('records every kind of change under its own event type', async () => {
    const o = await owner();
    const api = (method: 'post' | 'patch' | 'delete', path: string, body?: object) =>
      t
        .http()
        [method](`/tenancy/orgs/${o.orgId}${path}`)
        .set('Authorization', `Bearer ${o.token}`)
        .send(body);
    const team = (await api('post', '/teams', { name: 'T' })).body.id as string;
    await api('patch', `/teams/${team}`, { name: 'T2' });
    const ws = (await api('post', '/workspaces', { name: 'W', team_id: team })).body.id as string;
    const lab = (await api('post', `/workspaces/${ws}/labs`, { name: 'L' })).body.id as string;
    await api('delete', `/workspaces/${ws}/labs/${lab}`);
    const connection = (await api('post', '/idp-connections', { kind: 'okta', connection_name: 'okta-main' }))
      .body.id as string;
    await api('post', '/idp-group-mappings', {
      connection_id: connection,
      external_group: 'engineers',
      scope_kind: 'team',
      scope_id: team,
      role: 'member',
    });
    await api('post', '/invites', { email: 'new@example.com' });
    await api('patch', '', { name: 'Renamed' });

    const res = await t
      .http()
      .get('/audit/events?limit=100')
      .set('Authorization', `Bearer ${o.token}`)
      .set('X-AlphaSwarm-Org', o.orgId);
    const types = (res.body.events as LedgerEvent[])
      .map((event) => event.event_type)
      .filter((type) => type.startsWith('tenancy.'));
    expect(types.sort()).toEqual(
      [
        'tenancy.idp_connection_created',
        'tenancy.idp_group_mapping_created',
        'tenancy.invite_issued',
        'tenancy.lab_created',
        'tenancy.lab_deleted',
        'tenancy.org_renamed',
        'tenancy.team_created',
        'tenancy.team_renamed',
        'tenancy.workspace_created',
      ].sort(),
    );
  });

  it('never commits a change whose ledger row cannot be written', async () => {
    const o = await owner();
    const admin = new Client({ connectionString: await workerDatabaseUrl() });
    await admin.connect();
    try {
      await admin.query('REVOKE INSERT ON security_audit_events FROM alphaswarm_app');
      const res = await t
        .http()
        .post(`/tenancy/orgs/${o.orgId}/teams`)
        .set('Authorization', `Bearer ${o.token}`)
        .send({ name: 'Unaudited' });
      expect(res.status).toBeGreaterThanOrEqual(500);
      expect(res.body.reason).toBe('server_error');
    } finally {
      await admin.query('GRANT INSERT ON security_audit_events TO alphaswarm_app');
      await admin.end();
    }
    const teams = await t
      .http()
      .get(`/tenancy/orgs/${o.orgId}/teams`)
      .set('Authorization', `Bearer ${o.token}`);
    expect(teams.body.items).toEqual([]);
  });
});

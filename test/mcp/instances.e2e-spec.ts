import { SYSTEM_SCOPE, TenantDb } from '../../src/database/tenant-db';
import { startTestApp, type TestApp } from '../support/app';
import { TestIssuer } from '../support/issuer';
import { scopesOf } from '../support/tenancy-admin';
import { Tenants } from '../support/tenancy';
import { waitFor } from '../support/wait';

const DATA = 'https://api.test.alphaswarm/mcp/data';
const now = () => Math.floor(Date.now() / 1000);

/** Two instances on one Postgres and one Redis: an agent's calls may land on either. */
describe('MCP tools across instances', () => {
  let issuer: TestIssuer;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    const env = {
      ...issuer.env('auth0'),
      ALPHASWARM_MCP_DATA_CANONICAL_URI: DATA,
      ALPHASWARM_MCP_CODEBASE_CANONICAL_URI: 'https://api.test.alphaswarm/mcp/codebase',
      ALPHASWARM_MCP_REQUIRE_RFC8707: 'strict',
    };
    [a, b] = await Promise.all([startTestApp(env), startTestApp(env)]);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    await issuer.stop();
  });

  it('refuses on instance B the next call after the membership was removed through instance A', async () => {
    const tenants = new Tenants(a);
    const owner = await tenants.member('owner');
    const dave = await tenants.user();
    await tenants.grant(dave.id, owner.orgId, 'member');
    const { workspaceId } = await scopesOf(a, owner.orgId);
    const agent = await issuer.token({
      sub: dave.sub,
      aud: DATA,
      scope: 'read:mcp:data',
      act: { sub: 'agent|research_lead' },
    });
    const getWorkspace = (app: TestApp) =>
      app
        .http()
        .post('/mcp/data/tools/tenancy.get_workspace/invoke')
        .set('Authorization', `Bearer ${agent}`)
        .send({ arguments: { org_id: owner.orgId, workspace_id: workspaceId } });
    expect((await getWorkspace(a)).status).toBe(200);
    expect((await getWorkspace(b)).status).toBe(200);

    const ownerToken = await issuer.token({
      sub: owner.sub,
      permissions: ['admin:tenant'],
      amr: ['mfa'],
      auth_time: now(),
    });
    const members = await a
      .http()
      .get(`/tenancy/orgs/${owner.orgId}/members`)
      .set('Authorization', `Bearer ${ownerToken}`);
    const row = (members.body.items as { id: string; sub: string }[]).find((m) => m.sub === dave.sub)!.id;
    const removed = await a
      .http()
      .delete(`/tenancy/orgs/${owner.orgId}/members/${row}`)
      .set('Authorization', `Bearer ${ownerToken}`);
    expect(removed.status).toBe(204);

    // No waiting: the tools read the human's memberships from the database at each call.
    const after = await getWorkspace(b);
    expect([after.status, after.body.reason]).toEqual([403, 'org_forbidden']);
  });

  it('chains the invocation rows written by both instances into one verifiable ledger', async () => {
    const tenants = new Tenants(a);
    const erin = await tenants.member('admin');
    const agent = await issuer.token({
      sub: erin.sub,
      aud: DATA,
      scope: 'read:mcp:data',
      act: { sub: 'agent|auditor' },
      org_id: erin.orgId,
    });
    const whoami = (app: TestApp) =>
      app
        .http()
        .post('/mcp/data/tools/identity.whoami/invoke')
        .set('Authorization', `Bearer ${agent}`)
        .send({});
    const responses = await Promise.all([a, b, a, b].map(whoami));
    expect(responses.map((res) => res.status)).toEqual([200, 200, 200, 200]);
    await waitFor(
      async () => {
        const [{ count }] = await a.app
          .get(TenantDb)
          .run(SYSTEM_SCOPE, (db) =>
            db.query<{ count: string }[]>(
              `SELECT count(*) FROM security_audit_events WHERE org_id = $1 AND event_type = 'mcp.tool_invoked'`,
              [erin.orgId],
            ),
          );
        return Number(count) === 4;
      },
      { what: 'four mcp.tool_invoked rows' },
    );
    const adminToken = await issuer.token({ sub: erin.sub });
    const verified = await b
      .http()
      .get('/audit/verify')
      .set('X-AlphaSwarm-Org', erin.orgId)
      .set('Authorization', `Bearer ${adminToken}`);
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ ok: true });
  });
});

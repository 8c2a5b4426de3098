import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../support/app';
import { FixtureModule } from '../support/fixture.module';
import { TestIssuer } from '../support/issuer';
import { CLAIMS, Tenants } from '../support/tenancy';

describe('@OrgScoped', () => {
  let issuer: TestIssuer;
  let t: TestApp;
  let tenants: Tenants;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    t = await startTestApp({ ...issuer.env(), ALPHASWARM_AUTH_ENFORCE: 'permissive' }, [FixtureModule]);
    tenants = new Tenants(t);
  });
  afterAll(async () => {
    await t.close();
    await issuer.stop();
  });

  const tokenOf = (sub: string, claims: Record<string, unknown> = {}) => issuer.token({ sub, ...claims });
  const get = async (path: string, token: string, headers: Record<string, string> = {}) =>
    t.http().get(path).set('Authorization', `Bearer ${token}`).set(headers);
  const reasonOf = (res: { status: number; body: { reason?: string } }) => [res.status, res.body.reason];

  describe('finding the organization', () => {
    it('takes it from the X-AlphaSwarm-Org header', async () => {
      const alice = await tenants.member('member');
      const res = await get('/fixture/org', await tokenOf(alice.sub), { 'X-AlphaSwarm-Org': alice.orgId });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        orgId: alice.orgId,
        userId: alice.id,
        role: 'member',
        clusterAdmin: false,
      });
    });

    it("takes it from the token's org claim when nothing names one", async () => {
      const alice = await tenants.member('viewer');
      const res = await get('/fixture/org', await tokenOf(alice.sub, { [`${CLAIMS}org_id`]: alice.orgId }));
      expect([res.status, res.body.orgId]).toEqual([200, alice.orgId]);
    });

    it("maps Auth0's own Organization id (org_…) to the organization bound to it", async () => {
      const auth0OrgId = `org_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
      const orgId = await tenants.org('institutional', auth0OrgId);
      const bob = await tenants.user();
      await tenants.grant(bob.id, orgId, 'member');
      const token = await tokenOf(bob.sub, { org_id: auth0OrgId });
      expect((await get('/fixture/org', token)).body.orgId).toBe(orgId);
      // …and the same claim against the route's organization agrees.
      expect((await get(`/tenancy/orgs/${orgId}/teams`, token)).status).toBe(200);
    });

    it('uses the route parameter the decorator names', async () => {
      const alice = await tenants.member('member');
      const res = await get(`/fixture/tenants/${alice.orgId}`, await tokenOf(alice.sub));
      expect([res.status, res.body.orgId]).toEqual([200, alice.orgId]);
    });

    it('refuses a request that names no organization and carries no org claim', async () => {
      const alice = await tenants.member('owner');
      expect(reasonOf(await get('/fixture/org', await tokenOf(alice.sub)))).toEqual([403, 'org_forbidden']);
    });

    it('answers 400 for an organization id that is not a UUID, in the header or the route', async () => {
      const alice = await tenants.member('owner');
      const token = await tokenOf(alice.sub);
      for (const res of [
        await get('/fixture/org', token, { 'X-AlphaSwarm-Org': "' OR 1=1--" }),
        await get('/tenancy/orgs/not-a-uuid/teams', token),
      ]) {
        expect(reasonOf(res)).toEqual([400, 'invalid_request']);
      }
    });
  });

  describe('disagreement is org_mismatch', () => {
    it('header against claim', async () => {
      const alice = await tenants.member('owner');
      const other = await tenants.org();
      const token = await tokenOf(alice.sub, { [`${CLAIMS}org_id`]: alice.orgId });
      expect(reasonOf(await get('/fixture/org', token, { 'X-AlphaSwarm-Org': other }))).toEqual([
        403,
        'org_mismatch',
      ]);
    });

    it('route against claim, even when the caller belongs to both', async () => {
      const alice = await tenants.member('owner');
      const second = await tenants.org();
      await tenants.grant(alice.id, second, 'owner');
      const token = await tokenOf(alice.sub, { [`${CLAIMS}org_id`]: alice.orgId });
      expect(reasonOf(await get(`/tenancy/orgs/${second}/teams`, token))).toEqual([403, 'org_mismatch']);
    });

    it('route against header', async () => {
      const alice = await tenants.member('owner');
      const other = await tenants.org();
      const res = await get(`/tenancy/orgs/${alice.orgId}/teams`, await tokenOf(alice.sub), {
        'X-AlphaSwarm-Org': other,
      });
      expect(reasonOf(res)).toEqual([403, 'org_mismatch']);
    });

    it('an Auth0 organization claim bound to no organization never matches a named one', async () => {
      const alice = await tenants.member('owner');
      const token = await tokenOf(alice.sub, { org_id: 'org_notboundanywhere' });
      expect(reasonOf(await get(`/tenancy/orgs/${alice.orgId}/teams`, token))).toEqual([403, 'org_mismatch']);
      expect(reasonOf(await get('/fixture/org', token))).toEqual([403, 'org_forbidden']);
    });
  });

  describe('membership', () => {
    it('refuses a member of A who names B, through the route, the header and the claim (IDOR)', async () => {
      const alice = await tenants.member('owner');
      const victim = await tenants.member('owner');
      const token = await tokenOf(alice.sub);
      const viaClaim = await tokenOf(alice.sub, { [`${CLAIMS}org_id`]: victim.orgId });
      const attempts = [
        await get(`/tenancy/orgs/${victim.orgId}/teams`, token),
        await get('/fixture/org', token, { 'X-AlphaSwarm-Org': victim.orgId }),
        await get('/fixture/org', viaClaim),
        await get(`/tenancy/orgs/${victim.orgId}/teams`, viaClaim),
      ];
      expect(attempts.map(reasonOf)).toEqual(Array(4).fill([403, 'org_forbidden']));
    });

    it('answers an organization that does not exist exactly like one the caller is not in', async () => {
      const alice = await tenants.member('owner');
      const res = await get(`/tenancy/orgs/${randomUUID()}/teams`, await tokenOf(alice.sub));
      expect(reasonOf(res)).toEqual([403, 'org_forbidden']);
    });

    it('refuses a role below minRole and admits one at or above it', async () => {
      const results: unknown[] = [];
      for (const role of ['viewer', 'member', 'admin', 'owner'] as const) {
        const user = await tenants.member(role);
        const res = await get('/fixture/org/admin', await tokenOf(user.sub), {
          'X-AlphaSwarm-Org': user.orgId,
        });
        results.push([role, res.status]);
      }
      expect(results).toEqual([
        ['viewer', 403],
        ['member', 403],
        ['admin', 200],
        ['owner', 200],
      ]);
    });

    it('lets a workspace-only member in without minRole, but not where an organization role is needed', async () => {
      const orgId = await tenants.org();
      const carol = await tenants.user();
      await tenants.grant(carol.id, orgId, 'owner', 'workspace', randomUUID());
      const token = await tokenOf(carol.sub);
      expect((await get('/fixture/org', token, { 'X-AlphaSwarm-Org': orgId })).body.role).toBeNull();
      expect(reasonOf(await get('/fixture/org/admin', token, { 'X-AlphaSwarm-Org': orgId }))).toEqual([
        403,
        'org_forbidden',
      ]);
    });

    it('lets admin:cluster in anywhere, without a membership', async () => {
      const orgId = await tenants.org();
      const res = await get(
        '/fixture/org/admin',
        await tokenOf('auth0|operator', { permissions: ['admin:cluster'] }),
        {
          'X-AlphaSwarm-Org': orgId,
        },
      );
      expect([res.status, res.body.clusterAdmin, res.body.orgId]).toEqual([200, true, orgId]);
    });

    it('refuses delegated agent tokens even for a member', async () => {
      const alice = await tenants.member('owner');
      const agentToken = await tokenOf(alice.sub, { act: { sub: 'agent|copilot' } });
      expect(reasonOf(await get(`/tenancy/orgs/${alice.orgId}/teams`, agentToken))).toEqual([
        403,
        'agent_not_allowed',
      ]);
    });

    it('never serves an anonymous caller, even under permissive enforcement', async () => {
      const orgId = await tenants.org();
      const res = await t.http().get(`/tenancy/orgs/${orgId}/teams`);
      expect(reasonOf(res)).toEqual([401, 'missing_token']);
    });
  });
});

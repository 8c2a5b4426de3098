import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../support/app';
import { TestIssuer } from '../support/issuer';
import { Tenants } from '../support/tenancy';

const now = () => Math.floor(Date.now() / 1000);
const ADMIN = ['admin:tenant'];
/** A fresh MFA, as the step-up routes want. */
const STEPPED_UP = () => ({ amr: ['pwd', 'mfa'], auth_time: now() - 5 });

describe('tenancy REST', () => {
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

  const tokenOf = (sub: string, permissions: string[] = [], extra: Record<string, unknown> = {}) =>
    issuer.token({ sub, permissions, ...extra });
  const as = (token: string) => ({
    get: (path: string) => t.http().get(path).set('Authorization', `Bearer ${token}`),
    post: (path: string, body: object) =>
      t.http().post(path).set('Authorization', `Bearer ${token}`).send(body),
    patch: (path: string, body: object) =>
      t.http().patch(path).set('Authorization', `Bearer ${token}`).send(body),
    put: (path: string, body: object) =>
      t.http().put(path).set('Authorization', `Bearer ${token}`).send(body),
    delete: (path: string) => t.http().delete(path).set('Authorization', `Bearer ${token}`),
  });
  const reasonOf = (res: { status: number; body: { reason?: string } }) => [res.status, res.body.reason];
  const names = (page: { items: { name: string }[] }) => page.items.map((item) => item.name);

  async function admin(role: 'admin' | 'owner' = 'owner') {
    const user = await tenants.member(role);
    return { ...user, api: as(await tokenOf(user.sub, ADMIN, STEPPED_UP())) };
  }

  describe('organizations', () => {
    it('a user lists only the organizations they belong to', async () => {
      const alice = await tenants.member('viewer');
      const second = await tenants.org();
      await tenants.grant(alice.id, second, 'member');
      await tenants.member('owner'); // someone else's organization
      const res = await as(await tokenOf(alice.sub)).get('/tenancy/orgs');
      expect(res.status).toBe(200);
      expect((res.body.items as { id: string }[]).map((org) => org.id).sort()).toEqual(
        [alice.orgId, second].sort(),
      );
    });

    it('a user without any membership lists nothing', async () => {
      const res = await as(await tokenOf(`auth0|${randomUUID()}`)).get('/tenancy/orgs');
      expect(res.body).toEqual({ items: [], next_cursor: null });
    });

    it('creates an institutional organization for admin:cluster only, with its first owner', async () => {
      const body = {
        name: 'Acme',
        auth0_org_id: `org_${randomUUID().slice(0, 8)}`,
        owner_sub: `auth0|${randomUUID()}`,
      };
      expect(reasonOf(await as(await tokenOf('auth0|someone', ADMIN)).post('/tenancy/orgs', body))).toEqual([
        403,
        'insufficient_scope',
      ]);
      const created = await as(await tokenOf('auth0|operator', ['admin:cluster'])).post(
        '/tenancy/orgs',
        body,
      );
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        kind: 'institutional',
        name: 'Acme',
        auth0_org_id: body.auth0_org_id,
      });
      // The named owner is in, at once.
      const owner = as(await tokenOf(body.owner_sub));
      const members = await owner.get(`/tenancy/orgs/${created.body.id}/members`);
      expect(members.body.items).toEqual([expect.objectContaining({ sub: body.owner_sub, role: 'owner' })]);
      // The Auth0 Organization can be bound once.
      const again = await as(await tokenOf('auth0|operator', ['admin:cluster'])).post('/tenancy/orgs', body);
      expect(reasonOf(again)).toEqual([409, 'conflict']);
    });

    it('renames for admins; changing the tenancy strategy needs an owner and a fresh MFA', async () => {
      const owner = await admin('owner');
      expect((await owner.api.patch(`/tenancy/orgs/${owner.orgId}`, { name: 'Renamed' })).body.name).toBe(
        'Renamed',
      );

      const strategy = { kind: 'institutional', auth0_org_id: `org_${randomUUID().slice(0, 8)}` };
      const noMfa = as(await tokenOf(owner.sub, ADMIN));
      expect(reasonOf(await noMfa.put(`/tenancy/orgs/${owner.orgId}/strategy`, strategy))).toEqual([
        401,
        'insufficient_user_authentication',
      ]);
      const anAdmin = await tenants.user();
      await tenants.grant(anAdmin.id, owner.orgId, 'admin');
      const adminApi = as(await tokenOf(anAdmin.sub, ADMIN, STEPPED_UP()));
      expect(reasonOf(await adminApi.put(`/tenancy/orgs/${owner.orgId}/strategy`, strategy))).toEqual([
        403,
        'org_forbidden',
      ]);
      const changed = await owner.api.put(`/tenancy/orgs/${owner.orgId}/strategy`, strategy);
      expect(changed.body).toMatchObject({ kind: 'institutional', auth0_org_id: strategy.auth0_org_id });
      // Tokens carrying the Auth0 Organization id now name this organization.
      const viaClaim = as(await tokenOf(owner.sub, [], { org_id: strategy.auth0_org_id }));
      expect((await viaClaim.get(`/tenancy/orgs/${owner.orgId}`)).status).toBe(200);
      expect(
        reasonOf(await owner.api.put(`/tenancy/orgs/${owner.orgId}/strategy`, { kind: 'institutional' })),
      ).toEqual([400, 'invalid_request']);
    });
  });

  describe('teams, workspaces, projects and labs', () => {
    it('an admin builds the chain; a viewer reads it and can change nothing', async () => {
      const owner = await admin();
      const base = `/tenancy/orgs/${owner.orgId}`;
      const team = await owner.api.post(`${base}/teams`, { name: 'Research' });
      expect(team.status).toBe(201);
      const workspace = await owner.api.post(`${base}/workspaces`, { name: 'Alpha', team_id: team.body.id });
      expect(workspace.body).toMatchObject({ team_id: team.body.id, name: 'Alpha' });
      const project = await owner.api.post(`${base}/workspaces/${workspace.body.id}/projects`, {
        name: 'P1',
      });
      const lab = await owner.api.post(`${base}/workspaces/${workspace.body.id}/labs`, { name: 'L1' });
      expect([project.status, lab.status]).toEqual([201, 201]);

      const viewer = await tenants.user();
      await tenants.grant(viewer.id, owner.orgId, 'viewer');
      const reader = as(await tokenOf(viewer.sub, ADMIN, STEPPED_UP()));
      expect((await reader.get(`${base}/workspaces?team_id=${team.body.id}`)).body.items).toHaveLength(1);
      expect(
        (await reader.get(`${base}/workspaces/${workspace.body.id}/projects/${project.body.id}`)).body.name,
      ).toBe('P1');
      const mutations = [
        await reader.post(`${base}/teams`, { name: 'Mine' }),
        await reader.patch(`${base}/teams/${team.body.id}`, { name: 'Mine' }),
        await reader.delete(`${base}/workspaces/${workspace.body.id}`),
        await reader.post(`${base}/workspaces/${workspace.body.id}/labs`, { name: 'L2' }),
      ];
      expect(mutations.map(reasonOf)).toEqual(Array(4).fill([403, 'org_forbidden']));
    });

    it('an admin member without admin:tenant cannot mutate (insufficient_scope)', async () => {
      const owner = await tenants.member('owner');
      const res = await as(await tokenOf(owner.sub)).post(`/tenancy/orgs/${owner.orgId}/teams`, {
        name: 'X',
      });
      expect(reasonOf(res)).toEqual([403, 'insufficient_scope']);
    });

    it("answers 404 for another organization's ids under the caller's own organization (IDOR)", async () => {
      const victim = await admin();
      const vBase = `/tenancy/orgs/${victim.orgId}`;
      const vTeam = (await victim.api.post(`${vBase}/teams`, { name: 'Secret' })).body.id as string;
      const vWs = (await victim.api.post(`${vBase}/workspaces`, { name: 'Secret' })).body.id as string;
      const vProject = (await victim.api.post(`${vBase}/workspaces/${vWs}/projects`, { name: 'Secret' })).body
        .id as string;

      const attacker = await admin();
      const base = `/tenancy/orgs/${attacker.orgId}`;
      const myWs = (await attacker.api.post(`${base}/workspaces`, { name: 'Mine' })).body.id as string;
      const attempts = [
        await attacker.api.get(`${base}/teams/${vTeam}`),
        await attacker.api.patch(`${base}/teams/${vTeam}`, { name: 'pwned' }),
        await attacker.api.delete(`${base}/teams/${vTeam}`),
        await attacker.api.get(`${base}/workspaces/${vWs}`),
        await attacker.api.delete(`${base}/workspaces/${vWs}`),
        await attacker.api.get(`${base}/workspaces/${vWs}/projects`),
        await attacker.api.get(`${base}/workspaces/${vWs}/projects/${vProject}`),
        await attacker.api.get(`${base}/workspaces/${myWs}/projects/${vProject}`),
        await attacker.api.delete(`${base}/workspaces/${myWs}/projects/${vProject}`),
        await attacker.api.post(`${base}/workspaces`, { name: 'Stolen', team_id: vTeam }),
        await attacker.api.post(`${base}/members`, {
          user_sub: 'auth0|x',
          role: 'viewer',
          scope_kind: 'team',
          scope_id: vTeam,
        }),
      ];
      expect(attempts.map(reasonOf)).toEqual(Array(attempts.length).fill([404, 'not_found']));
      // Nothing of the victim's changed.
      expect((await victim.api.get(`${vBase}/teams/${vTeam}`)).body.name).toBe('Secret');
      expect((await victim.api.get(`${vBase}/workspaces/${vWs}/projects`)).body.items).toHaveLength(1);
    });

    it('a project fetched under the wrong workspace of the same organization is not there', async () => {
      const owner = await admin();
      const base = `/tenancy/orgs/${owner.orgId}`;
      const one = (await owner.api.post(`${base}/workspaces`, { name: 'One' })).body.id as string;
      const two = (await owner.api.post(`${base}/workspaces`, { name: 'Two' })).body.id as string;
      const project = (await owner.api.post(`${base}/workspaces/${one}/projects`, { name: 'P' })).body
        .id as string;
      expect(reasonOf(await owner.api.get(`${base}/workspaces/${two}/projects/${project}`))).toEqual([
        404,
        'not_found',
      ]);
    });

    it('deleting a team keeps its workspaces and drops memberships on it', async () => {
      const owner = await admin();
      const base = `/tenancy/orgs/${owner.orgId}`;
      const team = (await owner.api.post(`${base}/teams`, { name: 'T' })).body.id as string;
      const ws = (await owner.api.post(`${base}/workspaces`, { name: 'W', team_id: team })).body.id as string;
      const member = await owner.api.post(`${base}/members`, {
        user_sub: `auth0|${randomUUID()}`,
        role: 'member',
        scope_kind: 'team',
        scope_id: team,
      });
      expect(member.status).toBe(201);
      expect((await owner.api.delete(`${base}/teams/${team}`)).status).toBe(204);
      expect((await owner.api.get(`${base}/workspaces/${ws}`)).body.team_id).toBeNull();
      expect(reasonOf(await owner.api.get(`${base}/members/${member.body.id}`))).toEqual([404, 'not_found']);
    });

    it('refuses duplicate names with 409 and keeps the first', async () => {
      const owner = await admin();
      const base = `/tenancy/orgs/${owner.orgId}`;
      await owner.api.post(`${base}/teams`, { name: 'Same' });
      expect(reasonOf(await owner.api.post(`${base}/teams`, { name: 'Same' }))).toEqual([409, 'conflict']);
      expect((await owner.api.get(`${base}/teams`)).body.items).toHaveLength(1);
    });

    it('pages with a cursor, stable while rows are added', async () => {
      const owner = await admin();
      const base = `/tenancy/orgs/${owner.orgId}`;
      for (let i = 0; i < 5; i += 1) await owner.api.post(`${base}/teams`, { name: `team ${i}` });
      const first = await owner.api.get(`${base}/teams?limit=2`);
      expect(names(first.body)).toEqual(['team 0', 'team 1']);
      await owner.api.post(`${base}/teams`, { name: 'late' });
      const second = await owner.api.get(`${base}/teams?limit=2&cursor=${first.body.next_cursor as string}`);
      expect(names(second.body)).toEqual(['team 2', 'team 3']);
      const third = await owner.api.get(`${base}/teams?limit=10&cursor=${second.body.next_cursor as string}`);
      expect(names(third.body)).toEqual(['team 4', 'late']);
      expect(third.body.next_cursor).toBeNull();
    });
  });

  describe('bad input is a 400 with a reason, never a 500', () => {
    it.each([
      ['an unknown field', 'post', 'teams', { name: 'x', admin: true }],
      ['a wrong type', 'post', 'teams', { name: 42 }],
      ['an empty name', 'post', 'teams', { name: '' }],
      ['a bad team id', 'post', 'workspaces', { name: 'x', team_id: 'nope' }],
      ['a bad role', 'post', 'members', { user_sub: 'auth0|x', role: 'god' }],
      ['a bad scope kind', 'post', 'members', { user_sub: 'auth0|x', role: 'viewer', scope_kind: 'galaxy' }],
      ['a bad id in the path', 'get', 'teams/123', undefined],
      ['a bad limit', 'get', 'teams?limit=100000', undefined],
      ['a forged cursor', 'get', 'teams?cursor=eyJ4IjoxfQ', undefined],
      [
        'a cursor with SQL in it',
        'get',
        `teams?cursor=${Buffer.from(`["2020-01-01' OR 1=1--","${randomUUID()}"]`).toString('base64url')}`,
        undefined,
      ],
    ] as const)('%s', async (_name, method, path, body) => {
      const owner = await admin();
      const url = `/tenancy/orgs/${owner.orgId}/${path}`;
      const res = method === 'post' ? await owner.api.post(url, body ?? {}) : await owner.api.get(url);
      expect(reasonOf(res)).toEqual([400, 'invalid_request']);
    });
  });

  describe('members', () => {
    it('an admin adds, re-roles and (after a fresh MFA) removes a member', async () => {
      const owner = await admin();
      const base = `/tenancy/orgs/${owner.orgId}/members`;
      const added = await owner.api.post(base, {
        user_sub: `auth0|${randomUUID()}`,
        email: 'New@Example.com',
        role: 'viewer',
      });
      expect(added.body).toMatchObject({ role: 'viewer', email: 'new@example.com', source: 'manual' });
      expect((await owner.api.patch(`${base}/${added.body.id}`, { role: 'member' })).body.role).toBe(
        'member',
      );
      const noMfa = as(await tokenOf(owner.sub, ADMIN));
      expect(reasonOf(await noMfa.delete(`${base}/${added.body.id}`))).toEqual([
        401,
        'insufficient_user_authentication',
      ]);
      expect((await owner.api.delete(`${base}/${added.body.id}`)).status).toBe(204);
    });

    it('refuses to remove or demote the last owner (409) and allows it once another owner exists', async () => {
      const owner = await admin();
      const base = `/tenancy/orgs/${owner.orgId}/members`;
      const mine = (await owner.api.get(base)).body.items[0].id as string;
      expect(reasonOf(await owner.api.delete(`${base}/${mine}`))).toEqual([409, 'last_owner']);
      expect(reasonOf(await owner.api.patch(`${base}/${mine}`, { role: 'admin' }))).toEqual([
        409,
        'last_owner',
      ]);
      await owner.api.post(base, { user_sub: `auth0|${randomUUID()}`, role: 'owner' });
      expect((await owner.api.patch(`${base}/${mine}`, { role: 'admin' })).status).toBe(200);
    });

    it('an admin can neither make nor unmake an owner', async () => {
      const owner = await admin();
      const anAdmin = await tenants.user();
      await tenants.grant(anAdmin.id, owner.orgId, 'admin');
      const api = as(await tokenOf(anAdmin.sub, ADMIN, STEPPED_UP()));
      const base = `/tenancy/orgs/${owner.orgId}/members`;
      expect(reasonOf(await api.post(base, { user_sub: 'auth0|friend', role: 'owner' }))).toEqual([
        403,
        'org_forbidden',
      ]);
      const ownerRow = ((await api.get(base)).body.items as { id: string; sub: string }[]).find(
        (m) => m.sub === owner.sub,
      )!;
      expect(reasonOf(await api.delete(`${base}/${ownerRow.id}`))).toEqual([403, 'org_forbidden']);
      expect(reasonOf(await api.patch(`${base}/${anAdmin.id}`, { role: 'owner' }))).toEqual([
        404,
        'not_found',
      ]);
    });

    it('two owners removing each other at once leave exactly one owner', async () => {
      const first = await admin();
      const base = `/tenancy/orgs/${first.orgId}/members`;
      const secondSub = `auth0|${randomUUID()}`;
      const secondRow = (await first.api.post(base, { user_sub: secondSub, role: 'owner' })).body
        .id as string;
      const firstRow = ((await first.api.get(base)).body.items as { id: string; sub: string }[]).find(
        (m) => m.sub === first.sub,
      )!.id;
      const second = as(await tokenOf(secondSub, ADMIN, STEPPED_UP()));
      const results = await Promise.all([
        first.api.delete(`${base}/${secondRow}`),
        second.delete(`${base}/${firstRow}`),
      ]);
      // One removal wins. The other is refused as the last owner's when both got past the membership
      // check before either committed, or as a non-member's when it came after the winner's commit:
      // which one depends on how the two requests interleave, never on whether one is refused.
      const [won, refused] = [...results].sort((a, b) => a.status - b.status);
      expect(won.status).toBe(204);
      expect([
        [409, 'last_owner'],
        [403, 'org_forbidden'],
      ]).toContainEqual(reasonOf(refused));
      const owners = await tenants.owners(first.orgId);
      expect(owners).toHaveLength(1);
    });

    it('a removed member is refused at once, while their token is still valid', async () => {
      const owner = await admin();
      const base = `/tenancy/orgs/${owner.orgId}`;
      const sub = `auth0|${randomUUID()}`;
      const row = (await owner.api.post(`${base}/members`, { user_sub: sub, role: 'member' })).body
        .id as string;
      const member = as(await tokenOf(sub));
      expect((await member.get(`${base}/teams`)).status).toBe(200); // warms the membership cache
      expect((await owner.api.delete(`${base}/members/${row}`)).status).toBe(204);
      expect(reasonOf(await member.get(`${base}/teams`))).toEqual([403, 'org_forbidden']);
    });
  });
});

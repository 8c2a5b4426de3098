import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import type { Role } from '../../src/tenancy/memberships/membership.entity';
import { startTestApp, type TestApp } from '../support/app';
import { TestIssuer } from '../support/issuer';
import { Tenants } from '../support/tenancy';
import { nowSeconds, reasonOf, scopesOf, steppedUp, tenantAdmin } from '../support/tenancy-admin';

describe('IdP connections and group mappings', () => {
  let issuer: TestIssuer;
  let t: TestApp;
  let tenants: Tenants;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    // Row-level security off (the default): the services' own tenant filters alone must hold.
    t = await startTestApp(issuer.env());
    tenants = new Tenants(t);
  });
  afterAll(async () => {
    await t.close();
    await issuer.stop();
  });

  const api = (token: string) => {
    const auth = { Authorization: `Bearer ${token}` };
    return {
      get: (path: string) => t.http().get(path).set(auth),
      post: (path: string, body: unknown) =>
        t
          .http()
          .post(path)
          .set(auth)
          .send(body as object),
      patch: (path: string, body: unknown) =>
        t
          .http()
          .patch(path)
          .set(auth)
          .send(body as object),
      delete: (path: string) => t.http().delete(path).set(auth),
    };
  };
  type Api = ReturnType<typeof api>;

  /** A user with this organization-level role in a fresh organization, holding a tenant-admin token after MFA. */
  async function person(role: Role, claims: Record<string, unknown> = tenantAdmin()) {
    const user = await tenants.member(role);
    const token = await issuer.token({ sub: user.sub, ...claims });
    return { ...user, api: api(token) };
  }

  /** Another user with `role` in an existing organization. */
  async function joiner(orgId: string, role: Role, claims: Record<string, unknown> = tenantAdmin()) {
    const user = await tenants.user();
    await tenants.grant(user.id, orgId, role);
    return { ...user, orgId, api: api(await issuer.token({ sub: user.sub, ...claims })) };
  }

  const connections = (orgId: string) => `/tenancy/orgs/${orgId}/idp-connections`;
  const mappings = (orgId: string) => `/tenancy/orgs/${orgId}/idp-group-mappings`;
  const uniqueName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

  async function newConnection(caller: Api, orgId: string, body: Record<string, unknown> = {}) {
    const res = await caller.post(connections(orgId), {
      kind: 'okta',
      connection_name: uniqueName('okta'),
      ...body,
    });
    expect(res.status).toBe(201);
    return res.body as { id: string; connection_name: string; status: string };
  }

  async function newMapping(
    caller: Api,
    orgId: string,
    connectionId: string,
    body: Record<string, unknown> = {},
  ) {
    const res = await caller.post(mappings(orgId), {
      connection_id: connectionId,
      external_group: uniqueName('Engineering'),
      scope_kind: 'organization',
      scope_id: orgId,
      role: 'member',
      ...body,
    });
    expect(res.status).toBe(201);
    return res.body as { id: string };
  }

  describe('connections', () => {
    it('an admin who just passed MFA creates, renames, disables and deletes one; a member reads it', async () => {
      const alice = await person('admin');
      const bob = await joiner(alice.orgId, 'member', {});

      const created = await alice.api.post(connections(alice.orgId), {
        kind: 'entra',
        connection_name: 'acme-entra',
      });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        id: expect.any(String),
        org_id: alice.orgId,
        kind: 'entra',
        connection_name: 'acme-entra',
        status: 'active',
        created_at: expect.any(String),
      });
      const path = `${connections(alice.orgId)}/${created.body.id}`;

      expect((await bob.api.get(connections(alice.orgId))).body.items).toEqual([created.body]);
      expect((await bob.api.get(path)).body).toEqual(created.body);

      const disabled = await alice.api.patch(path, { status: 'disabled' });
      expect([disabled.status, disabled.body.status, disabled.body.connection_name]).toEqual([
        200,
        'disabled',
        'acme-entra',
      ]);
      const renamed = await alice.api.patch(path, { connection_name: 'acme-entra-2' });
      expect([renamed.body.status, renamed.body.connection_name]).toEqual(['disabled', 'acme-entra-2']);

      expect((await alice.api.delete(path)).status).toBe(204);
      expect(reasonOf(await bob.api.get(path))).toEqual([404, 'not_found']);
    });

    it('can be created disabled', async () => {
      const alice = await person('owner');
      const created = await newConnection(alice.api, alice.orgId, {
        kind: 'generic_saml',
        status: 'disabled',
      });
      expect(created.status).toBe('disabled');
    });

    it('takes its group mappings with it when deleted', async () => {
      const alice = await person('admin');
      const connection = await newConnection(alice.api, alice.orgId);
      const mapping = await newMapping(alice.api, alice.orgId, connection.id);

      expect((await alice.api.delete(`${connections(alice.orgId)}/${connection.id}`)).status).toBe(204);
      expect(reasonOf(await alice.api.get(`${mappings(alice.orgId)}/${mapping.id}`))).toEqual([
        404,
        'not_found',
      ]);
      expect((await alice.api.get(mappings(alice.orgId))).body.items).toEqual([]);
    });

    it('refuses a second connection of the same name in one organization (409), not in another', async () => {
      const alice = await person('admin');
      const carol = await person('admin');
      await newConnection(alice.api, alice.orgId, { connection_name: 'shared-name' });

      const again = await alice.api.post(connections(alice.orgId), {
        kind: 'okta',
        connection_name: 'shared-name',
      });
      expect(reasonOf(again)).toEqual([409, 'conflict']);
      await newConnection(carol.api, carol.orgId, { connection_name: 'shared-name' });

      const other = await newConnection(alice.api, alice.orgId);
      const rename = await alice.api.patch(`${connections(alice.orgId)}/${other.id}`, {
        connection_name: 'shared-name',
      });
      expect(reasonOf(rename)).toEqual([409, 'conflict']);
    });

    it('pages the list with a cursor, each connection once', async () => {
      const alice = await person('admin');
      const ids = new Set<string>();
      for (let i = 0; i < 3; i += 1) ids.add((await newConnection(alice.api, alice.orgId)).id);

      const first = await alice.api.get(`${connections(alice.orgId)}?limit=2`);
      expect([first.body.items.length, typeof first.body.next_cursor]).toEqual([2, 'string']);
      const second = await alice.api.get(
        `${connections(alice.orgId)}?limit=2&cursor=${first.body.next_cursor}`,
      );
      expect([second.body.items.length, second.body.next_cursor]).toEqual([1, null]);
      const seen = [...first.body.items, ...second.body.items].map((item: { id: string }) => item.id);
      expect(new Set(seen)).toEqual(ids);
    });
  });

  describe('group mappings', () => {
    it('map a group to the organization, a team or a workspace; list (by connection), get and delete', async () => {
      const alice = await person('admin');
      const bob = await joiner(alice.orgId, 'viewer', {});
      const { teamId, workspaceId } = await scopesOf(t, alice.orgId);
      const okta = await newConnection(alice.api, alice.orgId);
      const entra = await newConnection(alice.api, alice.orgId, { kind: 'entra' });

      const toOrg = await alice.api.post(mappings(alice.orgId), {
        connection_id: okta.id,
        external_group: 'All Staff',
        scope_kind: 'organization',
        scope_id: alice.orgId,
        role: 'viewer',
      });
      expect(toOrg.status).toBe(201);
      expect(toOrg.body).toEqual({
        id: expect.any(String),
        org_id: alice.orgId,
        connection_id: okta.id,
        external_group: 'All Staff',
        scope_kind: 'organization',
        scope_id: alice.orgId,
        role: 'viewer',
        created_at: expect.any(String),
      });
      const toTeam = await newMapping(alice.api, alice.orgId, okta.id, {
        scope_kind: 'team',
        scope_id: teamId,
      });
      const toWorkspace = await newMapping(alice.api, alice.orgId, entra.id, {
        scope_kind: 'workspace',
        scope_id: workspaceId,
        role: 'admin',
      });

      const ids = (res: Response) => (res.body.items as { id: string }[]).map((item) => item.id).sort();
      expect(ids(await bob.api.get(mappings(alice.orgId)))).toEqual(
        [toOrg.body.id, toTeam.id, toWorkspace.id].sort(),
      );
      expect(ids(await bob.api.get(`${mappings(alice.orgId)}?connection_id=${okta.id}`))).toEqual(
        [toOrg.body.id, toTeam.id].sort(),
      );
      expect((await bob.api.get(`${mappings(alice.orgId)}/${toOrg.body.id}`)).body).toEqual(toOrg.body);

      expect((await alice.api.delete(`${mappings(alice.orgId)}/${toTeam.id}`)).status).toBe(204);
      expect(ids(await bob.api.get(`${mappings(alice.orgId)}?connection_id=${okta.id}`))).toEqual([
        toOrg.body.id,
      ]);
    });

    it("refuses another organization's connection with 404 and stores nothing", async () => {
      const alice = await person('admin');
      const mallory = await person('admin');
      const theirs = await newConnection(mallory.api, mallory.orgId);

      const res = await alice.api.post(mappings(alice.orgId), {
        connection_id: theirs.id,
        external_group: 'Engineering',
        scope_kind: 'organization',
        scope_id: alice.orgId,
        role: 'member',
      });
      expect(reasonOf(res)).toEqual([404, 'not_found']);
      expect((await alice.api.get(mappings(alice.orgId))).body.items).toEqual([]);
      expect((await mallory.api.get(mappings(mallory.orgId))).body.items).toEqual([]);
    });

    it('refuses a scope of another organization, whatever its kind, with 404', async () => {
      const alice = await person('admin');
      const otherOrg = await tenants.org();
      const theirs = await scopesOf(t, otherOrg);
      const mine = await newConnection(alice.api, alice.orgId);

      const attempts: [string, string][] = [
        ['organization', otherOrg],
        ['team', theirs.teamId],
        ['workspace', theirs.workspaceId],
        ['project', randomUUID()],
        ['lab', randomUUID()],
      ];
      for (const [scopeKind, scopeId] of attempts) {
        const res = await alice.api.post(mappings(alice.orgId), {
          connection_id: mine.id,
          external_group: 'Engineering',
          scope_kind: scopeKind,
          scope_id: scopeId,
          role: 'admin',
        });
        expect([scopeKind, ...reasonOf(res)]).toEqual([scopeKind, 404, 'not_found']);
      }
      expect((await alice.api.get(mappings(alice.orgId))).body.items).toEqual([]);
    });

    it('refuses the same group mapped twice to one scope with 409 conflict', async () => {
      const alice = await person('admin');
      const connection = await newConnection(alice.api, alice.orgId);
      const body = {
        connection_id: connection.id,
        external_group: 'Engineering',
        scope_kind: 'organization',
        scope_id: alice.orgId,
        role: 'member',
      };
      expect((await alice.api.post(mappings(alice.orgId), body)).status).toBe(201);
      expect(reasonOf(await alice.api.post(mappings(alice.orgId), { ...body, role: 'admin' }))).toEqual([
        409,
        'conflict',
      ]);
    });

    it('lets only an owner map a group to the owner role', async () => {
      const owner = await person('owner');
      const admin = await joiner(owner.orgId, 'admin');
      const connection = await newConnection(owner.api, owner.orgId);
      const body = {
        connection_id: connection.id,
        external_group: 'Founders',
        scope_kind: 'organization',
        scope_id: owner.orgId,
        role: 'owner',
      };
      expect(reasonOf(await admin.api.post(mappings(owner.orgId), body))).toEqual([403, 'org_forbidden']);
      expect((await owner.api.post(mappings(owner.orgId), body)).status).toBe(201);
    });
  });

  describe('who may call what', () => {
    it("gives a member of A 403 on every route of B, and 404 for B's rows under A's routes", async () => {
      const alice = await person('owner');
      const victim = await person('owner');
      const theirConnection = await newConnection(victim.api, victim.orgId);
      const theirMapping = await newMapping(victim.api, victim.orgId, theirConnection.id);
      const mine = await newConnection(alice.api, alice.orgId);

      const onTheirRoutes = [
        await alice.api.get(connections(victim.orgId)),
        await alice.api.get(`${connections(victim.orgId)}/${theirConnection.id}`),
        await alice.api.post(connections(victim.orgId), { kind: 'okta', connection_name: 'hijack' }),
        await alice.api.patch(`${connections(victim.orgId)}/${theirConnection.id}`, { status: 'disabled' }),
        await alice.api.delete(`${connections(victim.orgId)}/${theirConnection.id}`),
        await alice.api.get(mappings(victim.orgId)),
        await alice.api.get(`${mappings(victim.orgId)}/${theirMapping.id}`),
        await alice.api.post(mappings(victim.orgId), {
          connection_id: theirConnection.id,
          external_group: 'Everyone',
          scope_kind: 'organization',
          scope_id: victim.orgId,
          role: 'owner',
        }),
        await alice.api.delete(`${mappings(victim.orgId)}/${theirMapping.id}`),
      ];
      expect(onTheirRoutes.map(reasonOf)).toEqual(Array(onTheirRoutes.length).fill([403, 'org_forbidden']));

      const theirIdsUnderMyRoutes = [
        await alice.api.get(`${connections(alice.orgId)}/${theirConnection.id}`),
        await alice.api.patch(`${connections(alice.orgId)}/${theirConnection.id}`, { status: 'disabled' }),
        await alice.api.delete(`${connections(alice.orgId)}/${theirConnection.id}`),
        await alice.api.get(`${mappings(alice.orgId)}/${theirMapping.id}`),
        await alice.api.delete(`${mappings(alice.orgId)}/${theirMapping.id}`),
      ];
      expect(theirIdsUnderMyRoutes.map(reasonOf)).toEqual(Array(5).fill([404, 'not_found']));
      // Filtering my mappings by their connection shows nothing of theirs.
      expect(
        (await alice.api.get(`${mappings(alice.orgId)}?connection_id=${theirConnection.id}`)).body.items,
      ).toEqual([]);

      const stillThere = await victim.api.get(`${connections(victim.orgId)}/${theirConnection.id}`);
      expect([stillThere.status, stillThere.body.status]).toEqual([200, 'active']);
      expect((await victim.api.get(mappings(victim.orgId))).body.items).toHaveLength(1);
      expect((await alice.api.get(connections(alice.orgId))).body.items).toEqual([
        expect.objectContaining({ id: mine.id }),
      ]);
    });

    it('refuses viewers and members every change, even with admin:tenant and a fresh MFA; they can read', async () => {
      const owner = await person('owner');
      const connection = await newConnection(owner.api, owner.orgId);
      const mapping = await newMapping(owner.api, owner.orgId, connection.id);
      for (const role of ['viewer', 'member'] as const) {
        const user = await joiner(owner.orgId, role);
        const attempts = [
          await user.api.post(connections(owner.orgId), { kind: 'okta', connection_name: uniqueName('x') }),
          await user.api.patch(`${connections(owner.orgId)}/${connection.id}`, { status: 'disabled' }),
          await user.api.delete(`${connections(owner.orgId)}/${connection.id}`),
          await user.api.post(mappings(owner.orgId), {
            connection_id: connection.id,
            external_group: 'Staff',
            scope_kind: 'organization',
            scope_id: owner.orgId,
            role: 'admin',
          }),
          await user.api.delete(`${mappings(owner.orgId)}/${mapping.id}`),
        ];
        expect([role, ...attempts.map(reasonOf)]).toEqual([role, ...Array(5).fill([403, 'org_forbidden'])]);
        expect((await user.api.get(`${connections(owner.orgId)}/${connection.id}`)).body.status).toBe(
          'active',
        );
        expect((await user.api.get(`${mappings(owner.orgId)}/${mapping.id}`)).status).toBe(200);
      }
    });

    it('refuses an admin whose token lacks admin:tenant with 403 insufficient_scope', async () => {
      const owner = await person('owner');
      const connection = await newConnection(owner.api, owner.orgId);
      const admin = await joiner(owner.orgId, 'admin', steppedUp());
      const attempts = [
        await admin.api.post(connections(owner.orgId), { kind: 'okta', connection_name: uniqueName('x') }),
        await admin.api.patch(`${connections(owner.orgId)}/${connection.id}`, { status: 'disabled' }),
        await admin.api.delete(`${connections(owner.orgId)}/${connection.id}`),
        await admin.api.post(mappings(owner.orgId), {
          connection_id: connection.id,
          external_group: 'Staff',
          scope_kind: 'organization',
          scope_id: owner.orgId,
          role: 'admin',
        }),
      ];
      expect(attempts.map(reasonOf)).toEqual(Array(4).fill([403, 'insufficient_scope']));
      expect(attempts[0].headers['www-authenticate']).toContain('scope="admin:tenant"');
    });

    it('challenges every change without a fresh MFA (401 insufficient_user_authentication) and changes nothing', async () => {
      const owner = await person('owner');
      const connection = await newConnection(owner.api, owner.orgId);
      const mapping = await newMapping(owner.api, owner.orgId, connection.id);
      const weak = [
        { permissions: ['admin:tenant'] },
        { permissions: ['admin:tenant'], amr: ['pwd'], auth_time: nowSeconds() },
        { permissions: ['admin:tenant'], amr: ['mfa'], auth_time: nowSeconds() - 3600 },
      ];
      for (const claims of weak) {
        const caller = api(await issuer.token({ sub: owner.sub, ...claims }));
        const attempts = [
          await caller.post(connections(owner.orgId), { kind: 'okta', connection_name: uniqueName('x') }),
          await caller.patch(`${connections(owner.orgId)}/${connection.id}`, { status: 'disabled' }),
          await caller.delete(`${connections(owner.orgId)}/${connection.id}`),
          await caller.post(mappings(owner.orgId), {
            connection_id: connection.id,
            external_group: 'Staff',
            scope_kind: 'organization',
            scope_id: owner.orgId,
            role: 'admin',
          }),
          await caller.delete(`${mappings(owner.orgId)}/${mapping.id}`),
        ];
        expect(attempts.map(reasonOf)).toEqual(Array(5).fill([401, 'insufficient_user_authentication']));
        expect(attempts[0].headers['www-authenticate']).toContain('acr_values=');
      }
      expect((await owner.api.get(connections(owner.orgId))).body.items).toEqual([
        expect.objectContaining({ id: connection.id, status: 'active' }),
      ]);
      expect((await owner.api.get(mappings(owner.orgId))).body.items).toEqual([
        expect.objectContaining({ id: mapping.id }),
      ]);
    });
  });

  describe('bad input', () => {
    const expect400 = (what: string, res: Response) =>
      expect([what, res.status, res.body.reason]).toEqual([what, 400, 'invalid_request']);

    it('answers 400 invalid_request to connection bodies the contract does not allow, never 500', async () => {
      const alice = await person('admin');
      const connection = await newConnection(alice.api, alice.orgId);
      const path = `${connections(alice.orgId)}/${connection.id}`;
      const good = { kind: 'okta', connection_name: 'fine-name' };
      const creates: [string, unknown][] = [
        ['empty', {}],
        ['missing name', { kind: 'okta' }],
        ['unknown kind', { ...good, kind: 'ldap' }],
        ['kind of wrong type', { ...good, kind: 5 }],
        ['name of wrong type', { ...good, connection_name: 42 }],
        ['name with a space', { ...good, connection_name: 'has space' }],
        ['name with a leading dash', { ...good, connection_name: '-okta' }],
        ['name too long', { ...good, connection_name: 'a'.repeat(129) }],
        ['unknown status', { ...good, status: 'paused' }],
        ['null status', { ...good, status: null }],
        ['unknown field', { ...good, org_id: randomUUID() }],
        ['array', [good]],
      ];
      for (const [what, body] of creates)
        expect400(what, await alice.api.post(connections(alice.orgId), body));

      const patches: [string, unknown][] = [
        ['nothing to change', {}],
        ['kind is fixed', { kind: 'entra' }],
        ['null status', { status: null }],
        ['null name', { connection_name: null }],
        ['empty name', { connection_name: '' }],
      ];
      for (const [what, body] of patches) expect400(`patch: ${what}`, await alice.api.patch(path, body));
      const auth = { Authorization: `Bearer ${await issuer.token({ sub: alice.sub, ...tenantAdmin() })}` };
      expect400('patch: no body', await t.http().patch(path).set(auth));
      expect400('patch: JSON null', await t.http().patch(path).set(auth).type('json').send('null'));
      expect400(
        'create: JSON string',
        await t.http().post(connections(alice.orgId)).set(auth).type('json').send('"okta"'),
      );

      const base = connections(alice.orgId);
      expect400('get: bad uuid', await alice.api.get(`${base}/not-a-uuid`));
      expect400('patch: bad uuid', await alice.api.patch(`${base}/not-a-uuid`, { status: 'active' }));
      expect400('delete: bad uuid', await alice.api.delete(`${base}/1' OR '1'='1`));
      expect400('list: limit 0', await alice.api.get(`${base}?limit=0`));
      expect400('list: limit abc', await alice.api.get(`${base}?limit=abc`));
      expect400('list: foreign cursor', await alice.api.get(`${base}?cursor=bm90LW91cnM`));
      expect400('list: unknown parameter', await alice.api.get(`${base}?kind=okta`));

      expect((await alice.api.get(path)).body).toEqual(expect.objectContaining({ status: 'active' }));
      expect((await alice.api.get(base)).body.items).toHaveLength(1);
    });

    it('answers 400 invalid_request to mapping bodies the contract does not allow, never 500', async () => {
      const alice = await person('admin');
      const connection = await newConnection(alice.api, alice.orgId);
      const good = {
        connection_id: connection.id,
        external_group: 'Engineering',
        scope_kind: 'organization',
        scope_id: alice.orgId,
        role: 'member',
      };
      const bodies: [string, unknown][] = [
        ['empty', {}],
        ['connection_id not a uuid', { ...good, connection_id: 'nope' }],
        ['scope_id not a uuid', { ...good, scope_id: '42' }],
        ['unknown scope kind', { ...good, scope_kind: 'galaxy' }],
        ['unknown role', { ...good, role: 'superuser' }],
        ['role of wrong type', { ...good, role: ['owner'] }],
        ['group of wrong type', { ...good, external_group: 5 }],
        ['empty group', { ...good, external_group: '' }],
        ['group with surrounding spaces', { ...good, external_group: ' Engineering ' }],
        ['group too long', { ...good, external_group: 'g'.repeat(257) }],
        ['missing role', { ...good, role: undefined }],
        ['unknown field', { ...good, org_id: randomUUID() }],
      ];
      for (const [what, body] of bodies) expect400(what, await alice.api.post(mappings(alice.orgId), body));
      expect400('filter not a uuid', await alice.api.get(`${mappings(alice.orgId)}?connection_id=nope`));
      expect400('unknown filter', await alice.api.get(`${mappings(alice.orgId)}?external_group=x`));
      expect400('get: bad uuid', await alice.api.get(`${mappings(alice.orgId)}/nope`));
      expect((await alice.api.get(mappings(alice.orgId))).body.items).toEqual([]);
    });
  });
});

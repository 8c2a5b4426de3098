import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { Response } from 'supertest';
import { SYSTEM_SCOPE, TenantDb } from '../../src/database/tenant-db';
import type { Role } from '../../src/tenancy/memberships/membership.entity';
import { startTestApp, type TestApp } from '../support/app';
import { workerDatabaseUrl } from '../support/db';
import { TestIssuer } from '../support/issuer';
import { CLAIMS, Tenants } from '../support/tenancy';
import { reasonOf, scopesOf, steppedUp, tenantAdmin } from '../support/tenancy-admin';

const TOKEN_SHAPE = /^([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$/;

describe('Invites', () => {
  let issuer: TestIssuer;
  let t: TestApp;
  /** A second instance, sharing the database and the invite key, whose invites expire as they are issued. */
  let expiring: TestApp;
  let tenants: Tenants;
  let superuser: Client;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    const env = {
      ...issuer.env(),
      // Strict row-level security: acceptance finds the organization, then works inside it.
      ALPHASWARM_TENANCY_RLS_ENFORCE: 'strict',
      ALPHASWARM_TENANCY_INVITE_SECRET: randomBytes(32).toString('hex'),
    };
    t = await startTestApp(env);
    expiring = await startTestApp({ ...env, ALPHASWARM_TENANCY_INVITE_TTL_SECONDS: '0' });
    tenants = new Tenants(t);
    superuser = new Client({ connectionString: await workerDatabaseUrl() });
    await superuser.connect();
  });
  afterAll(async () => {
    await superuser.end();
    await expiring.close();
    await t.close();
    await issuer.stop();
  });

  const api = (token: string, app: TestApp = t) => {
    const auth = { Authorization: `Bearer ${token}` };
    return {
      get: (path: string) => app.http().get(path).set(auth),
      post: (path: string, body: unknown) =>
        app
          .http()
          .post(path)
          .set(auth)
          .send(body as object),
      delete: (path: string) => app.http().delete(path).set(auth),
    };
  };
  type Api = ReturnType<typeof api>;

  async function person(role: Role, claims: Record<string, unknown> = tenantAdmin()) {
    const user = await tenants.member(role);
    return { ...user, api: api(await issuer.token({ sub: user.sub, ...claims })) };
  }

  async function joiner(orgId: string, role: Role, claims: Record<string, unknown> = tenantAdmin()) {
    const user = await tenants.user();
    await tenants.grant(user.id, orgId, role);
    return { ...user, orgId, api: api(await issuer.token({ sub: user.sub, ...claims })) };
  }

  /** Someone who is in no organization yet (not even a users row), signed in with these claims. */
  async function stranger(claims: Record<string, unknown>) {
    const sub = `auth0|${randomUUID()}`;
    return { sub, api: api(await issuer.token({ sub, ...claims })) };
  }

  const invites = (orgId: string) => `/tenancy/orgs/${orgId}/invites`;
  const email = () => `user-${randomUUID().slice(0, 8)}@example.com`;

  async function issue(caller: Api, orgId: string, body: Record<string, unknown>) {
    const res = await caller.post(invites(orgId), body);
    expect(res.status).toBe(201);
    return res.body as { id: string; token: string; email: string; status: string };
  }

  const accept = (caller: Api, token: unknown) => caller.post('/tenancy/invites/accept', { token });

  async function membershipsOf(orgId: string) {
    return t.app.get(TenantDb).run(SYSTEM_SCOPE, (db) =>
      db.query<{ sub: string; scope_kind: string; scope_id: string; role: string; source: string }[]>(
        `SELECT u.sub, m.scope_kind, m.scope_id, m.role, m.source
             FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 ORDER BY m.created_at`,
        [orgId],
      ),
    );
  }

  describe('issuing', () => {
    it('returns the invite and, this once, its token; the list shows the invite without it', async () => {
      const alice = await person('admin');
      const before = Date.now();
      const res = await alice.api.post(invites(alice.orgId), { email: 'Ada.Lovelace@Example.COM' });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        org_id: alice.orgId,
        email: 'ada.lovelace@example.com',
        scope_kind: 'organization',
        scope_id: alice.orgId,
        role: 'member',
        invited_by: alice.id,
        expires_at: expect.any(String),
        accepted_at: null,
        accepted_by: null,
        revoked_at: null,
        created_at: expect.any(String),
        status: 'pending',
        token: expect.stringMatching(TOKEN_SHAPE),
      });
      expect(TOKEN_SHAPE.exec(res.body.token)?.[1]).toBe(res.body.id);
      // The default lifetime: seven days, counted by the database's clock in whole seconds.
      const lifetime = Date.parse(res.body.expires_at) - before;
      expect(lifetime).toBeGreaterThan(604_800_000 - 60_000);
      expect(lifetime).toBeLessThan(604_800_000 + 60_000);

      const row: Record<string, unknown> = { ...res.body };
      delete row.token;
      expect((await alice.api.get(invites(alice.orgId))).body).toEqual({ items: [row], next_cursor: null });
    });

    it('lets only an owner invite an owner; an admin may invite an admin', async () => {
      const owner = await person('owner');
      const admin = await joiner(owner.orgId, 'admin');
      expect(reasonOf(await admin.api.post(invites(owner.orgId), { email: email(), role: 'owner' }))).toEqual(
        [403, 'org_forbidden'],
      );
      expect((await issue(admin.api, owner.orgId, { email: email(), role: 'admin' })).status).toBe('pending');
      expect((await issue(owner.api, owner.orgId, { email: email(), role: 'owner' })).status).toBe('pending');
      const listed = (await owner.api.get(invites(owner.orgId))).body.items as { role: string }[];
      expect(listed.map((invite) => invite.role)).toEqual(['admin', 'owner']);
    });

    it("invites into a team or workspace of the organization, never into another organization's (404)", async () => {
      const alice = await person('admin');
      const mine = await scopesOf(t, alice.orgId);
      const otherOrg = await tenants.org();
      const theirs = await scopesOf(t, otherOrg);

      const toTeam = await issue(alice.api, alice.orgId, {
        email: email(),
        scope_kind: 'team',
        scope_id: mine.teamId,
      });
      expect(toTeam).toMatchObject({ scope_kind: 'team', scope_id: mine.teamId });
      await issue(alice.api, alice.orgId, {
        email: email(),
        scope_kind: 'workspace',
        scope_id: mine.workspaceId,
      });

      const elsewhere = [
        { scope_kind: 'team', scope_id: theirs.teamId },
        { scope_kind: 'workspace', scope_id: theirs.workspaceId },
        { scope_kind: 'organization', scope_id: otherOrg },
        { scope_id: otherOrg },
        { scope_kind: 'project', scope_id: randomUUID() },
      ];
      for (const scope of elsewhere) {
        expect([
          scope,
          ...reasonOf(await alice.api.post(invites(alice.orgId), { email: email(), ...scope })),
        ]).toEqual([scope, 404, 'not_found']);
      }
      expect((await alice.api.get(invites(alice.orgId))).body.items).toHaveLength(2);
    });
  });

  describe('accepting', () => {
    it('lets the invited user in at once, as a member from an invite', async () => {
      const alice = await person('admin');
      const invite = await issue(alice.api, alice.orgId, { email: 'Ada@Example.com' });
      const ada = await stranger({ email: 'ADA@example.com' });

      // Not a member yet (and this refusal is now what the membership cache remembers).
      expect(reasonOf(await ada.api.get(`/tenancy/orgs/${alice.orgId}/teams`))).toEqual([
        403,
        'org_forbidden',
      ]);

      const res = await accept(ada.api, invite.token);
      expect([res.status, res.body]).toEqual([
        200,
        {
          invite_id: invite.id,
          org_id: alice.orgId,
          scope_kind: 'organization',
          scope_id: alice.orgId,
          role: 'member',
        },
      ]);
      expect((await ada.api.get(`/tenancy/orgs/${alice.orgId}/teams`)).status).toBe(200);
      expect((await ada.api.get('/auth/whoami')).body.memberships).toEqual([
        {
          org_id: alice.orgId,
          scope_kind: 'organization',
          scope_id: alice.orgId,
          role: 'member',
          source: 'invite',
        },
      ]);
      const [row] = (await alice.api.get(invites(alice.orgId))).body.items;
      expect(row).toMatchObject({
        status: 'accepted',
        accepted_at: expect.any(String),
        accepted_by: expect.any(String),
      });
    });

    it('reads the email from the namespaced claim too, and joins a team scope', async () => {
      const alice = await person('owner');
      const { teamId } = await scopesOf(t, alice.orgId);
      const address = email();
      const invite = await issue(alice.api, alice.orgId, {
        email: address,
        scope_kind: 'team',
        scope_id: teamId,
        role: 'admin',
      });
      const bea = await stranger({ [`${CLAIMS}email`]: address });
      expect((await accept(bea.api, invite.token)).body).toMatchObject({
        scope_kind: 'team',
        scope_id: teamId,
        role: 'admin',
      });
      expect(await membershipsOf(alice.orgId)).toContainEqual({
        sub: bea.sub,
        scope_kind: 'team',
        scope_id: teamId,
        role: 'admin',
        source: 'invite',
      });
    });

    it('refuses another email, no email and an unverified email with 403; the invite stays usable', async () => {
      const alice = await person('admin');
      const address = email();
      const invite = await issue(alice.api, alice.orgId, { email: address });
      const impostors = [
        await stranger({ email: 'someone.else@example.com' }),
        await stranger({}),
        await stranger({ email: address, email_verified: false }),
        await stranger({ email: `${address}.evil.example` }),
      ];
      for (const impostor of impostors) {
        expect(reasonOf(await accept(impostor.api, invite.token))).toEqual([403, 'invite_email_mismatch']);
      }
      expect(await membershipsOf(alice.orgId)).toHaveLength(1); // alice alone
      expect(
        (await accept((await stranger({ email: address, email_verified: true })).api, invite.token)).status,
      ).toBe(200);
    });

    it('is single-use: a second acceptance is 409 invite_used, whoever tries', async () => {
      const alice = await person('admin');
      const address = email();
      const invite = await issue(alice.api, alice.orgId, { email: address });
      const ada = await stranger({ email: address });
      expect((await accept(ada.api, invite.token)).status).toBe(200);
      expect(reasonOf(await accept(ada.api, invite.token))).toEqual([409, 'invite_used']);
      expect(reasonOf(await accept((await stranger({ email: address })).api, invite.token))).toEqual([
        409,
        'invite_used',
      ]);
      // The state is told before the email is compared.
      expect(reasonOf(await accept((await stranger({ email: email() })).api, invite.token))).toEqual([
        409,
        'invite_used',
      ]);
    });

    it('lets exactly one of many concurrent acceptances win', async () => {
      const alice = await person('admin');
      const address = email();
      const invite = await issue(alice.api, alice.orgId, { email: address, role: 'viewer' });
      // Several accounts of the same person (same verified email), racing.
      const racers = await Promise.all(Array.from({ length: 6 }, () => stranger({ email: address })));
      const results = await Promise.all(racers.map((racer) => accept(racer.api, invite.token)));

      const outcomes = results.map(reasonOf).map(([status, reason]) => `${status} ${String(reason)}`);
      expect(outcomes.sort()).toEqual(['200 undefined', ...Array(5).fill('409 invite_used')]);
      const joined = (await membershipsOf(alice.orgId)).filter((m) => m.source === 'invite');
      const winner = racers[results.findIndex((res) => res.status === 200)];
      expect(joined).toEqual([
        {
          sub: winner.sub,
          scope_kind: 'organization',
          scope_id: alice.orgId,
          role: 'viewer',
          source: 'invite',
        },
      ]);
    });

    it('refuses an expired invite with 409 invite_expired (another instance signed it with the shared key)', async () => {
      const alice = await person('admin');
      const address = email();
      const invite = await issue(
        api(await issuer.token({ sub: alice.sub, ...tenantAdmin() }), expiring),
        alice.orgId,
        {
          email: address,
        },
      );
      expect(reasonOf(await accept((await stranger({ email: address })).api, invite.token))).toEqual([
        409,
        'invite_expired',
      ]);
      expect((await alice.api.get(invites(alice.orgId))).body.items[0].status).toBe('expired');
      expect(await membershipsOf(alice.orgId)).toHaveLength(1);
    });

    it('refuses a revoked invite with 409 invite_revoked, before looking at expiry or email', async () => {
      const alice = await person('admin');
      const address = email();
      const invite = await issue(alice.api, alice.orgId, { email: address });
      // Revoking takes a chance away, so it needs admin:tenant but no step-up.
      const plainAdmin = api(await issuer.token({ sub: alice.sub, permissions: ['admin:tenant'] }));
      expect((await plainAdmin.delete(`${invites(alice.orgId)}/${invite.id}`)).status).toBe(204);

      expect(reasonOf(await accept((await stranger({ email: address })).api, invite.token))).toEqual([
        409,
        'invite_revoked',
      ]);
      expect(reasonOf(await accept((await stranger({ email: email() })).api, invite.token))).toEqual([
        409,
        'invite_revoked',
      ]);
      const stale = await issue(
        api(await issuer.token({ sub: alice.sub, ...tenantAdmin() }), expiring),
        alice.orgId,
        {
          email: address,
        },
      );
      expect((await plainAdmin.delete(`${invites(alice.orgId)}/${stale.id}`)).status).toBe(204);
      expect(reasonOf(await accept((await stranger({ email: address })).api, stale.token))).toEqual([
        409,
        'invite_revoked',
      ]);
    });

    it('revokes once: revoking again keeps the first time; an accepted invite cannot be revoked', async () => {
      const alice = await person('admin');
      const address = email();
      const pending = await issue(alice.api, alice.orgId, { email: email() });
      const path = `${invites(alice.orgId)}/${pending.id}`;
      expect((await alice.api.delete(path)).status).toBe(204);
      const first = (await alice.api.get(invites(alice.orgId))).body.items[0];
      expect(first).toMatchObject({ status: 'revoked', revoked_at: expect.any(String) });
      expect((await alice.api.delete(path)).status).toBe(204);
      expect((await alice.api.get(invites(alice.orgId))).body.items[0].revoked_at).toBe(first.revoked_at);

      const accepted = await issue(alice.api, alice.orgId, { email: address });
      expect((await accept((await stranger({ email: address })).api, accepted.token)).status).toBe(200);
      expect(reasonOf(await alice.api.delete(`${invites(alice.orgId)}/${accepted.id}`))).toEqual([
        409,
        'invite_used',
      ]);
      expect(reasonOf(await alice.api.delete(`${invites(alice.orgId)}/${randomUUID()}`))).toEqual([
        404,
        'not_found',
      ]);
    });

    it('answers every forged or garbled token alike with 400 invite_invalid, and none of them burns the invite', async () => {
      const alice = await person('admin');
      const address = email();
      const real = await issue(alice.api, alice.orgId, { email: address });
      const other = await issue(alice.api, alice.orgId, { email: address });
      const [, id, digest] = TOKEN_SHAPE.exec(real.token) ?? [];
      const [, otherId, otherDigest] = TOKEN_SHAPE.exec(other.token) ?? [];
      const flip = (text: string, at: number) =>
        `${text.slice(0, at)}${text[at] === 'A' ? 'B' : 'A'}${text.slice(at + 1)}`;
      const forged = [
        `${id}.${flip(digest, 0)}`, // a tampered signature
        `${id}.${flip(digest, 42)}`, // its last character (some of whose bits are padding)
        `${otherId}.${digest}`, // a tampered id: another invite's, with this signature
        `${id}.${otherDigest}`,
        `${randomUUID()}.${digest}`, // an id that does not exist
        `${id}.${'A'.repeat(43)}`,
        `${id.toUpperCase()}.${digest}`,
        `${id}.${digest}=`,
        `${id}.${digest}.${digest}`,
        `${id}.${digest.replaceAll('-', '+').replaceAll('_', '/')}${/[-_]/.test(digest) ? '' : '+'}`,
        ` ${real.token}`,
        `${id}`,
        `${id}.`,
        '.',
        'garbage',
        'eyJhbGciOiJIUzI1NiJ9.e30.ZRrHA1JJJW8opsbCGfG_HACGpVUMN_a9IV7pAx_Zmeo',
        "'; DROP TABLE invites; --",
        'ü'.repeat(40),
      ];
      const caller = (await stranger({ email: address })).api;
      const answers: Response[] = [];
      for (const token of forged) answers.push(await accept(caller, token));
      expect(
        answers.map((res): unknown[] => [res.status, res.body.reason, res.body.error_description]),
      ).toEqual(Array(forged.length).fill([400, 'invite_invalid', 'The invite token is not valid']));
      expect((await accept(caller, real.token)).status).toBe(200);
      expect((await accept((await stranger({ email: address })).api, other.token)).status).toBe(200);
    });

    it('refuses an invite whose row was changed behind the service (role, email or expiry): invite_invalid', async () => {
      const alice = await person('admin');
      const address = email();
      const changes = [
        `role = 'owner'`,
        `email = 'mallory@example.com'`,
        `expires_at = expires_at + interval '30 days'`,
      ];
      for (const change of changes) {
        const invite = await issue(alice.api, alice.orgId, { email: address });
        await superuser.query(`UPDATE invites SET ${change} WHERE id = $1`, [invite.id]);
        const who = change.startsWith('email') ? 'mallory@example.com' : address;
        expect([
          change,
          ...reasonOf(await accept((await stranger({ email: who })).api, invite.token)),
        ]).toEqual([change, 400, 'invite_invalid']);
      }
      expect(await membershipsOf(alice.orgId)).toHaveLength(1);
    });

    it('keeps the higher role when the invitee already holds one on that scope', async () => {
      const owner = await person('owner');
      const ownerEmail = email();
      const demotion = await issue(owner.api, owner.orgId, { email: ownerEmail, role: 'viewer' });
      const asOwner = api(await issuer.token({ sub: owner.sub, email: ownerEmail }));
      expect((await accept(asOwner, demotion.token)).body.role).toBe('owner');

      const viewerEmail = email();
      const viewer = await joiner(owner.orgId, 'viewer', { email: viewerEmail });
      const promotion = await issue(owner.api, owner.orgId, { email: viewerEmail, role: 'admin' });
      expect((await accept(viewer.api, promotion.token)).body.role).toBe('admin');

      const roles = (await membershipsOf(owner.orgId)).map(({ sub, role, source }) => [sub, role, source]);
      expect(roles).toEqual([
        [owner.sub, 'owner', 'manual'],
        [viewer.sub, 'admin', 'invite'],
      ]);
      // The promotion is live at once: the former viewer may now list invites (admins only).
      expect((await viewer.api.get(invites(owner.orgId))).status).toBe(200);
    });

    it('answers 404 when the scope was deleted after issuing, and leaves the invite unaccepted', async () => {
      const alice = await person('admin');
      const { teamId } = await scopesOf(t, alice.orgId);
      const address = email();
      const invite = await issue(alice.api, alice.orgId, {
        email: address,
        scope_kind: 'team',
        scope_id: teamId,
      });
      await superuser.query(`DELETE FROM teams WHERE id = $1`, [teamId]);
      expect(reasonOf(await accept((await stranger({ email: address })).api, invite.token))).toEqual([
        404,
        'not_found',
      ]);
      expect((await alice.api.get(invites(alice.orgId))).body.items[0].status).toBe('pending');
    });

    it('refuses machine and agent tokens with 403, whatever email they carry', async () => {
      const alice = await person('admin');
      const address = email();
      const invite = await issue(alice.api, alice.orgId, { email: address });
      const m2m = api(
        await issuer.token({ sub: 'svc@clients', azp: 'svc', gty: 'client-credentials', email: address }),
      );
      expect(reasonOf(await accept(m2m, invite.token))).toEqual([403, 'invite_requires_user']);
      const agent = api(
        await issuer.token({ sub: 'auth0|someone', email: address, act: { sub: 'agent|helper' } }),
      );
      expect(reasonOf(await accept(agent, invite.token))).toEqual([403, 'agent_not_allowed']);
      expect(reasonOf(await t.http().post('/tenancy/invites/accept').send({ token: invite.token }))).toEqual([
        401,
        'missing_token',
      ]);
      expect((await accept((await stranger({ email: address })).api, invite.token)).status).toBe(200);
    });
  });

  describe('who may call what', () => {
    it("gives an admin of A 403 on B's invite routes and 404 for B's invite under A's route", async () => {
      const alice = await person('owner');
      const victim = await person('owner');
      const theirs = await issue(victim.api, victim.orgId, { email: email() });
      const attempts = [
        await alice.api.get(invites(victim.orgId)),
        await alice.api.post(invites(victim.orgId), { email: email(), role: 'owner' }),
        await alice.api.delete(`${invites(victim.orgId)}/${theirs.id}`),
      ];
      expect(attempts.map(reasonOf)).toEqual(Array(3).fill([403, 'org_forbidden']));
      expect(reasonOf(await alice.api.delete(`${invites(alice.orgId)}/${theirs.id}`))).toEqual([
        404,
        'not_found',
      ]);
      expect((await victim.api.get(invites(victim.orgId))).body.items).toEqual([
        expect.objectContaining({ id: theirs.id, status: 'pending' }),
      ]);
    });

    it('lets only admins list invites, and only admins with admin:tenant after MFA issue them', async () => {
      const owner = await person('owner');
      const pending = await issue(owner.api, owner.orgId, { email: email() });
      for (const role of ['viewer', 'member'] as const) {
        const user = await joiner(owner.orgId, role);
        const attempts = [
          await user.api.get(invites(owner.orgId)),
          await user.api.post(invites(owner.orgId), { email: email() }),
          await user.api.delete(`${invites(owner.orgId)}/${pending.id}`),
        ];
        expect([role, ...attempts.map(reasonOf)]).toEqual([role, ...Array(3).fill([403, 'org_forbidden'])]);
      }
      const noScope = await joiner(owner.orgId, 'admin', steppedUp());
      expect((await noScope.api.get(invites(owner.orgId))).status).toBe(200);
      expect(reasonOf(await noScope.api.post(invites(owner.orgId), { email: email() }))).toEqual([
        403,
        'insufficient_scope',
      ]);
      expect(reasonOf(await noScope.api.delete(`${invites(owner.orgId)}/${pending.id}`))).toEqual([
        403,
        'insufficient_scope',
      ]);
      const noMfa = await joiner(owner.orgId, 'admin', { permissions: ['admin:tenant'] });
      const challenged = await noMfa.api.post(invites(owner.orgId), { email: email() });
      expect(reasonOf(challenged)).toEqual([401, 'insufficient_user_authentication']);
      expect(challenged.headers['www-authenticate']).toContain('error="insufficient_user_authentication"');
      expect((await owner.api.get(invites(owner.orgId))).body.items).toEqual([
        expect.objectContaining({ id: pending.id, status: 'pending' }),
      ]);
    });
  });

  describe('bad input', () => {
    const expect400 = (what: string, res: Response) =>
      expect([what, res.status, res.body.reason]).toEqual([what, 400, 'invalid_request']);

    it('answers 400 invalid_request to invite bodies the contract does not allow, never 500', async () => {
      const alice = await person('owner');
      const bodies: [string, unknown][] = [
        ['empty', {}],
        ['not an email', { email: 'not-an-email' }],
        ['email of wrong type', { email: 5 }],
        ['email too long', { email: `${'a'.repeat(250)}@example.com` }],
        ['unknown role', { email: email(), role: 'god' }],
        ['null role', { email: email(), role: null }],
        ['unknown scope kind', { email: email(), scope_kind: 'galaxy' }],
        ['scope_id not a uuid', { email: email(), scope_id: 'x' }],
        ['team without scope_id', { email: email(), scope_kind: 'team' }],
        ['unknown field', { email: email(), token: 'mine' }],
        ['array', [{ email: email() }]],
      ];
      for (const [what, body] of bodies) expect400(what, await alice.api.post(invites(alice.orgId), body));
      expect400('bad uuid', await alice.api.delete(`${invites(alice.orgId)}/nope`));
      expect400('list: unknown parameter', await alice.api.get(`${invites(alice.orgId)}?status=pending`));
      expect((await alice.api.get(invites(alice.orgId))).body.items).toEqual([]);
    });

    it('answers 400 invalid_request to accept bodies that are not { token: string }', async () => {
      const caller = (await stranger({ email: email() })).api;
      const bodies: [string, unknown][] = [
        ['empty', {}],
        ['token of wrong type', { token: 5 }],
        ['null token', { token: null }],
        ['empty token', { token: '' }],
        ['huge token', { token: 'a'.repeat(5000) }],
        ['unknown field', { token: 'x', email: 'me@example.com' }],
        ['array', [{ token: 'x' }]],
      ];
      for (const [what, body] of bodies) {
        expect400(what, await caller.post('/tenancy/invites/accept', body));
      }
    });
  });
});

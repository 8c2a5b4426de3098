import { MembershipCache } from '../../src/tenancy/memberships/membership-cache';
import { startTestApp, type TestApp } from '../support/app';
import { quietPeriod, waitFor } from '../support/wait';
import { TestIssuer } from '../support/issuer';
import { REDIS } from '../support/services';
import { TcpProxy } from '../support/tcp-proxy';
import { Tenants } from '../support/tenancy';

const now = () => Math.floor(Date.now() / 1000);

/** Several instances on one Postgres and one Redis, as in production. */
describe('membership changes across instances', () => {
  let issuer: TestIssuer;
  let a: TestApp;
  let b: TestApp;
  let tenants: Tenants;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    [a, b] = await Promise.all([startTestApp(issuer.env()), startTestApp(issuer.env())]);
    tenants = new Tenants(a);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    await issuer.stop();
  });

  /** An owner (stepped up, admin:tenant) and a member of a fresh organization; returns the member's row id. */
  async function organization() {
    const owner = await tenants.member('owner');
    const member = await tenants.user();
    await tenants.grant(member.id, owner.orgId, 'member');
    const ownerToken = await issuer.token({
      sub: owner.sub,
      permissions: ['admin:tenant'],
      amr: ['mfa'],
      auth_time: now(),
    });
    const memberToken = await issuer.token({ sub: member.sub });
    const rows = await a
      .http()
      .get(`/tenancy/orgs/${owner.orgId}/members`)
      .set('Authorization', `Bearer ${ownerToken}`);
    const row = (rows.body.items as { id: string; sub: string }[]).find((m) => m.sub === member.sub)!.id;
    return { orgId: owner.orgId, ownerToken, memberToken, member, row };
  }

  const teams = (app: TestApp, orgId: string, token: string) =>
    app.http().get(`/tenancy/orgs/${orgId}/teams`).set('Authorization', `Bearer ${token}`);

  it('a membership removed through instance A is refused by instance B within one second', async () => {
    const o = await organization();
    expect((await teams(b, o.orgId, o.memberToken)).status).toBe(200);
    expect(b.app.get(MembershipCache).peek(o.member.sub, o.orgId)).toMatchObject({ member: true }); // B is warm

    const removed = await a
      .http()
      .delete(`/tenancy/orgs/${o.orgId}/members/${o.row}`)
      .set('Authorization', `Bearer ${o.ownerToken}`);
    expect(removed.status).toBe(204);
    const started = Date.now();
    await waitFor(async () => (await teams(b, o.orgId, o.memberToken)).status === 403, { timeoutMs: 1000 });
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await teams(b, o.orgId, o.memberToken)).body.reason).toBe('org_forbidden');
  });

  it('a membership added through A is honoured by B at once (no stale deny either)', async () => {
    const o = await organization();
    const newcomer = await tenants.user();
    const token = await issuer.token({ sub: newcomer.sub });
    expect((await teams(b, o.orgId, token)).status).toBe(403); // cached as "not a member"
    const added = await a
      .http()
      .post(`/tenancy/orgs/${o.orgId}/members`)
      .set('Authorization', `Bearer ${o.ownerToken}`)
      .send({ user_sub: newcomer.sub, role: 'viewer' });
    expect(added.status).toBe(201);
    await waitFor(async () => (await teams(b, o.orgId, token)).status === 200, { timeoutMs: 1000 });
  });

  describe('with Redis unreachable for one instance', () => {
    let proxy: TcpProxy;
    let c: TestApp;

    beforeAll(async () => {
      proxy = await TcpProxy.start(REDIS);
      c = await startTestApp({ ...issuer.env(), REDIS_URL: proxy.url });
    });
    afterAll(async () => {
      await c.close();
      await proxy.down();
    });

    it('reads the database instead of its cache: a removal elsewhere is refused at once, never a stale allow', async () => {
      const o = await organization();
      const cache = c.app.get(MembershipCache);
      expect((await teams(c, o.orgId, o.memberToken)).status).toBe(200);
      expect(cache.peek(o.member.sub, o.orgId)).toBeDefined();

      await proxy.down();
      await waitFor(() => cache.peek(o.member.sub, o.orgId) === undefined, { timeoutMs: 2000 });
      // Still serving members from the database while Redis is away.
      expect((await teams(c, o.orgId, o.memberToken)).status).toBe(200);

      // A removes the member; its invalidation never reaches C.
      const removed = await a
        .http()
        .delete(`/tenancy/orgs/${o.orgId}/members/${o.row}`)
        .set('Authorization', `Bearer ${o.ownerToken}`);
      expect(removed.status).toBe(204);
      expect((await teams(c, o.orgId, o.memberToken)).body.reason).toBe('org_forbidden');

      // When Redis is back, C subscribes again and caches again, starting empty.
      await proxy.up();
      const other = await organization();
      await waitFor(
        async () => {
          await teams(c, other.orgId, other.memberToken);
          return cache.peek(other.member.sub, other.orgId) !== undefined;
        },
        { timeoutMs: 5000 },
      );
    });

    it('still honours a removal made while it was disconnected, after it reconnects', async () => {
      const o = await organization();
      const cache = c.app.get(MembershipCache);
      await waitFor(
        async () => {
          await teams(c, o.orgId, o.memberToken);
          return cache.peek(o.member.sub, o.orgId) !== undefined;
        },
        { timeoutMs: 5000 },
      );
      await proxy.down();
      await a
        .http()
        .delete(`/tenancy/orgs/${o.orgId}/members/${o.row}`)
        .set('Authorization', `Bearer ${o.ownerToken}`)
        .expect(204);
      await proxy.up();
      // Whether or not C has reconnected yet, it must not serve the entry it held before the cut.
      for (let i = 0; i < 10; i += 1) {
        expect((await teams(c, o.orgId, o.memberToken)).status).toBe(403);
        // Spreads the checks over the reconnect window: a stale answer has no event to wait for.
        await quietPeriod(50);
      }
    });
  });
});

import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../support/app';
import { workerDatabaseUrl } from '../support/db';
import { internalEnv, m2mClaims, query } from '../support/internal';
import { TestIssuer } from '../support/issuer';
import { Tenants } from '../support/tenancy';
import { POSTGRES } from '../support/services';
import { TcpProxy } from '../support/tcp-proxy';
import { InviteTokens, type SignedInvite } from '../../src/tenancy/invites/invite-tokens';

/**
 * `POST /_internal/auth/preregister-check`: the disposable-email block list and the invite check the
 * pre-user-registration Action asks for before Auth0 creates an account.
 */
describe('POST /_internal/auth/preregister-check', () => {
  let issuer: TestIssuer;
  let t: TestApp;
  let dbUrl: string;
  let token: string;
  let orgId: string;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    dbUrl = await workerDatabaseUrl();
    t = await startTestApp(
      internalEnv(issuer, {
        ALPHASWARM_AUTH_DISPOSABLE_EMAIL_DOMAINS: 'default,burner.example',
        ALPHASWARM_TENANCY_INVITE_SECRET: 'preregister-test-secret-0123456789abcdef',
      }),
    );
    token = await issuer.token(m2mClaims());
    orgId = await new Tenants(t).org('institutional', `org_${randomUUID().replace(/-/g, '').slice(0, 12)}`);
  });
  afterAll(async () => {
    await t.close();
    await issuer.stop();
  });

  const check = (body: unknown, bearer = token) =>
    t
      .http()
      .post('/_internal/auth/preregister-check')
      .set('Authorization', `Bearer ${bearer}`)
      .send(body as object);

  /** An invite row as the tenancy module writes it, and its token signed with the service's key. */
  async function invite(email: string, state = ''): Promise<{ id: string; token: string }> {
    const [row] = await query<SignedInvite>(
      dbUrl,
      `INSERT INTO invites (org_id, email, scope_kind, scope_id, role, expires_at)
       VALUES ($1, $2, 'organization', $1, 'member', date_trunc('second', now()) + interval '1 day')
       RETURNING id, org_id, email, scope_kind, scope_id, role, expires_at`,
      [orgId, email],
    );
    if (state) await query(dbUrl, `UPDATE invites SET ${state} WHERE id = $1`, [row.id]);
    return { id: row.id, token: t.app.get(InviteTokens).sign(row) };
  }
  const allowed = { allowed: true, reason: null, invite_org_id: null };
  const denied = (reason: string) => ({ allowed: false, reason, invite_org_id: null });

  describe('the disposable-email block list', () => {
    it('lets an ordinary address sign up and records only its domain', async () => {
      const email = `ada.${randomUUID()}@example.org`;
      const res = await check({ email });
      expect([res.status, res.body]).toEqual([200, allowed]);
      const rows = await query<{ outcome: string; details: Record<string, unknown> }>(
        dbUrl,
        `SELECT outcome, details FROM security_audit_events
          WHERE event_type = 'auth0.preregister_check' AND request_id = $1`,
        [res.headers['x-request-id']],
      );
      expect(rows).toEqual([
        {
          outcome: 'success',
          details: { email_domain: 'example.org', invite_id: null, require_invite: false },
        },
      ]);
      expect(JSON.stringify(rows)).not.toContain('ada.');
    });

    it.each([
      ['a listed domain', 'someone@mailinator.com'],
      ['a listed domain in capitals', 'Someone@MAILINATOR.COM'],
      ['a subdomain of a listed domain', 'someone@eu.mx.yopmail.com'],
      ['a domain the operator added', 'someone@burner.example'],
    ])('refuses %s with disposable_email', async (_what, email) => {
      const res = await check({ email });
      expect([res.status, res.body]).toEqual([200, denied('disposable_email')]);
    });

    it('does not refuse a domain that only ends with the same letters', async () => {
      expect((await check({ email: 'someone@notmailinator.com' })).body).toEqual(allowed);
    });

    it('records a refusal in the ledger as a deny with its reason', async () => {
      const res = await check({ email: 'x@mailinator.com' });
      const rows = await query(
        dbUrl,
        `SELECT outcome, reason FROM security_audit_events WHERE event_type = 'auth0.preregister_check' AND request_id = $1`,
        [res.headers['x-request-id']],
      );
      expect(rows).toEqual([{ outcome: 'deny', reason: 'disposable_email' }]);
    });
  });

  describe('the invite check', () => {
    it('passes a live invite issued to this email (any case) and names its organization', async () => {
      const email = `bob.${randomUUID()}@acme.example`;
      const { token: inviteToken } = await invite(email);
      const res = await check({
        email: email.toUpperCase(),
        invite_token: inviteToken,
        require_invite: true,
      });
      expect(res.body).toEqual({ allowed: true, reason: null, invite_org_id: orgId });
    });

    it('refuses a sign-up without an invite when one is required', async () => {
      expect((await check({ email: 'carol@acme.example', require_invite: true })).body).toEqual(
        denied('invite_required'),
      );
    });

    it('refuses a forged, unknown or malformed token with one answer: invite_invalid', async () => {
      const email = `dan.${randomUUID()}@acme.example`;
      const real = await invite(email);
      const digest = real.token.split('.')[1];
      const flipped = `${real.id}.${digest[0] === 'A' ? 'B' : 'A'}${digest.slice(1)}`;
      const unknown = `${randomUUID()}.${digest}`;
      for (const forged of [flipped, unknown, 'not-a-token', `${real.id}.`]) {
        expect((await check({ email, invite_token: forged })).body).toEqual(denied('invite_invalid'));
      }
    });

    it('refuses an invite issued to another email', async () => {
      const { token: inviteToken } = await invite(`erin.${randomUUID()}@acme.example`);
      expect((await check({ email: 'mallory@acme.example', invite_token: inviteToken })).body).toEqual(
        denied('invite_email_mismatch'),
      );
    });

    it.each([
      ['revoked', 'revoked_at = now()', 'invite_revoked'],
      ['already accepted', 'accepted_at = now()', 'invite_used'],
      [
        "changed behind the service's back (a shortened expiry)",
        `expires_at = date_trunc('second', now()) - interval '1 second'`,
        'invite_invalid',
      ],
    ])('refuses an invite that is %s', async (_what, state, reason) => {
      const email = `frank.${randomUUID()}@acme.example`;
      const { token: inviteToken } = await invite(email, state);
      // The expiry is signed: a row whose expiry changed behind the service's back no longer verifies.
      expect((await check({ email, invite_token: inviteToken })).body).toEqual(denied(reason));
    });

    it('refuses an invite past its expiry with invite_expired', async () => {
      const email = `gina.${randomUUID()}@acme.example`;
      const [row] = await query<SignedInvite>(
        dbUrl,
        `INSERT INTO invites (org_id, email, scope_kind, scope_id, role, expires_at)
         VALUES ($1, $2, 'organization', $1, 'member', date_trunc('second', now()) - interval '1 hour')
         RETURNING id, org_id, email, scope_kind, scope_id, role, expires_at`,
        [orgId, email],
      );
      const inviteToken = t.app.get(InviteTokens).sign(row);
      expect((await check({ email, invite_token: inviteToken })).body).toEqual(denied('invite_expired'));
    });

    it('refuses a disposable address even with a valid invite', async () => {
      const { token: inviteToken } = await invite('someone@mailinator.com');
      expect((await check({ email: 'someone@mailinator.com', invite_token: inviteToken })).body).toEqual(
        denied('disposable_email'),
      );
    });
  });

  it('answers 503 service_unavailable while Postgres is unreachable, never an allow', async () => {
    const proxy = await TcpProxy.start(POSTGRES);
    const url = new URL(dbUrl);
    url.port = String(proxy.port);
    const down = await startTestApp(internalEnv(issuer, { DATABASE_URL: url.toString() }));
    try {
      await proxy.down();
      const res = await down
        .http()
        .post('/_internal/auth/preregister-check')
        .set('Authorization', `Bearer ${token}`)
        .send({ email: 'ada@example.org' });
      expect([res.status, res.body.reason]).toEqual([503, 'service_unavailable']);
      expect(res.body.allowed).toBeUndefined();
    } finally {
      await proxy.up();
      await down.close();
      await proxy.down();
    }
  });

  describe('who may call it and bad input', () => {
    it('refuses a user token with 403 not_m2m', async () => {
      const res = await check({ email: 'a@example.org' }, await issuer.token({ sub: 'auth0|alice' }));
      expect([res.status, res.body.reason]).toEqual([403, 'not_m2m']);
    });

    it.each([
      ['a missing email', {}],
      ['a bad email', { email: 'not-an-email' }],
      ['an email of the wrong type', { email: ['a@example.org'] }],
      ['a require_invite that is not a boolean', { email: 'a@example.org', require_invite: 'yes' }],
      ['an unknown field', { email: 'a@example.org', allow: true }],
    ])('refuses %s with 400 invalid_request', async (_what, body) => {
      const res = await check(body);
      expect([res.status, res.body.reason]).toEqual([400, 'invalid_request']);
      expect(res.text).not.toContain('not-an-email');
    });

    it('refuses a 2 MiB body with 413', async () => {
      const res = await check({ email: 'a@example.org', invite_token: 'x'.repeat(2 * 1024 * 1024) });
      expect([res.status, res.body.reason]).toEqual([413, 'payload_too_large']);
    });
  });
});

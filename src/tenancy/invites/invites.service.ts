import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { SYSTEM_SCOPE, TenantDb } from '../../database/tenant-db';
import { AuthError } from '../../identity/errors/auth-error';
import { RequestError } from '../../common/errors/request-error';
import type { Principal } from '../../identity/principal';
import { MembershipCache } from '../memberships/membership-cache';
import type { ScopeKind } from '../memberships/membership.entity';
import { type Role, ROLES_SQL } from '../memberships/roles';
import type { ChangeActor, OrgAccess } from '../org-scope/org-access';
import { type Page, type PageQuery, pageSql, toPage } from '../pagination';
import { TenancyAudit } from '../tenancy-audit';
import { assertScopeInOrg, one, upsertUser } from '../tenancy-rows';
import { InviteTokens, type SignedInvite } from './invite-tokens';

export type InviteStatus = 'pending' | 'accepted' | 'revoked' | 'expired';

export interface InviteView extends SignedInvite {
  invited_by: string | null;
  accepted_at: Date | null;
  accepted_by: string | null;
  revoked_at: Date | null;
  created_at: Date;
  status: InviteStatus;
}

/** An issued invite: the row, and the token that accepts it (shown this once, never stored). */
export interface IssuedInvite extends InviteView {
  token: string;
}

export interface InviteRequest {
  email: string;
  scopeKind?: ScopeKind;
  scopeId?: string;
  role?: Role;
}

/** What accepting gave the caller: the membership as it now stands (the higher role wins). */
export interface AcceptedInvite {
  invite_id: string;
  org_id: string;
  scope_kind: ScopeKind;
  scope_id: string;
  role: Role;
}

/*
 * Invites stay on hand-written SQL: status and expiry are decided by the database clock every instance
 * shares (`now()`), the claim is one conditional UPDATE that settles concurrent acceptances, and the
 * membership it grants is an INSERT … ON CONFLICT that keeps the higher role.
 */
const STATUS = `CASE WHEN accepted_at IS NOT NULL THEN 'accepted' WHEN revoked_at IS NOT NULL THEN 'revoked'
  WHEN expires_at <= now() THEN 'expired' ELSE 'pending' END`;
const COLUMNS = `id, org_id, email, scope_kind, scope_id, role, invited_by, expires_at, accepted_at, accepted_by,
  revoked_at, created_at, ${STATUS} AS status`;
const RANKED_ROLES = `ARRAY[${ROLES_SQL}]`;

/** Every token this service did not issue for a live row gets this one answer: no oracle. */
const invalid = () => new RequestError('invite_invalid', 400, 'The invite token is not valid');
const revoked = () => new RequestError('invite_revoked', 409, 'The invite has been revoked');
const used = () => new RequestError('invite_used', 409, 'The invite has already been accepted');
const expired = () => new RequestError('invite_expired', 409, 'The invite has expired');

/**
 * Invites: single-use, expiring, bound to an email, signed (InviteTokens). Issuing and revoking act in
 * one organization; accepting is done by someone who is not a member yet, so it finds the organization
 * from the invite itself.
 */
@Injectable()
export class InvitesService {
  private readonly ttlSeconds: number;

  constructor(
    private readonly tenantDb: TenantDb,
    private readonly memberships: MembershipCache,
    private readonly tokens: InviteTokens,
    private readonly audit: TenancyAudit,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.ttlSeconds = config.tenancy.inviteTtlSeconds;
  }

  list(orgId: string, query: PageQuery): Promise<Page<InviteView>> {
    const page = pageSql('invites', COLUMNS, 'org_id = $1', [orgId], query);
    return this.tenantDb.run({ kind: 'org', orgId }, async (db) =>
      toPage(await db.query<(InviteView & { cursor_at: string })[]>(page.sql, page.params), page.limit),
    );
  }

  /**
   * Defaults: the organization itself, as `member`. The scope must be inside the organization (404
   * otherwise), and only an owner may invite an owner. The expiry is whole seconds of the database's
   * clock, which every instance shares.
   */
  async issue(org: OrgAccess, request: InviteRequest): Promise<IssuedInvite> {
    const orgId = org.orgId;
    const scopeKind = request.scopeKind ?? 'organization';
    const scopeId = request.scopeId ?? (scopeKind === 'organization' ? orgId : undefined);
    if (scopeId === undefined) {
      throw new RequestError('invalid_request', 400, `scope_id is required for a ${scopeKind} invite`);
    }
    const role = request.role ?? 'member';
    if (role === 'owner' && org.role !== 'owner') throw new AuthError('org_forbidden');

    const invite = await this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      await assertScopeInOrg(db, orgId, scopeKind, scopeId);
      const issued = one(
        await db.query<InviteView[]>(
          `INSERT INTO invites (org_id, email, scope_kind, scope_id, role, invited_by, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, date_trunc('second', now()) + make_interval(secs => $7))
           RETURNING ${COLUMNS}`,
          [orgId, request.email.toLowerCase(), scopeKind, scopeId, role, org.userId, this.ttlSeconds],
        ),
        'invite',
      );
      await this.audit.record(db, org.actor, orgId, 'tenancy.invite_issued', {
        invite_id: issued.id,
        email: issued.email,
        scope_kind: scopeKind,
        scope_id: scopeId,
        role,
      });
      return issued;
    });
    return { ...invite, token: this.tokens.sign(invite) };
  }

  /**
   * Sets `revoked_at` (once: revoking again changes nothing). An accepted invite cannot be revoked: the
   * membership it made is removed as a membership.
   */
  async revoke(org: OrgAccess, inviteId: string): Promise<void> {
    const orgId = org.orgId;
    await this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      // Locks the row, so a concurrent acceptance either lands first (then 409) or finds it revoked.
      const invite = one(
        await db.query<{ accepted: boolean }[]>(
          `SELECT accepted_at IS NOT NULL AS accepted FROM invites WHERE id = $1 AND org_id = $2 FOR UPDATE`,
          [inviteId, orgId],
        ),
        'invite',
      );
      if (invite.accepted) throw used();
      await db.query(`UPDATE invites SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1`, [inviteId]);
      await this.audit.record(db, org.actor, orgId, 'tenancy.invite_revoked', { invite_id: inviteId });
    });
  }

  /**
   * Checks, in this order: the token (shape, a row with its id, the signature: all `invite_invalid`),
   * then revoked, used, expired, then the caller's email. The claim itself is one conditional UPDATE,
   * so of concurrent acceptances exactly one wins; the user row, the invite and the membership change in
   * one transaction, and the membership cache is invalidated once it has committed.
   */
  async accept(principal: Principal, actor: ChangeActor, token: string): Promise<AcceptedInvite> {
    // Only a person has an email an invite can be bound to; machines and agents never join organizations.
    if (principal.actorType !== 'user') {
      throw new RequestError('invite_requires_user', 403, 'Only a person can accept an invite');
    }
    const presented = this.tokens.parse(token);
    if (!presented) throw invalid();

    // The one lookup no tenant owns: which organization the invite belongs to.
    const found = await this.tenantDb.run(SYSTEM_SCOPE, (db) =>
      db.query<{ org_id: string }[]>(`SELECT org_id FROM invites WHERE id = $1`, [presented.id]),
    );
    const orgId = found[0]?.org_id;
    if (orgId === undefined) throw invalid();

    const accepted = await this.tenantDb.run({ kind: 'org', orgId }, async (db) => {
      const invite = (
        await db.query<(InviteView & { live: boolean })[]>(
          `SELECT ${COLUMNS}, expires_at > now() AS live FROM invites WHERE id = $1 AND org_id = $2`,
          [presented.id, orgId],
        )
      )[0];
      if (!invite || !this.tokens.verify(invite, presented.digest)) throw invalid();
      if (invite.revoked_at) throw revoked();
      if (invite.accepted_at) throw used();
      if (!invite.live) throw expired();
      const email = principal.email?.toLowerCase();
      if (email !== invite.email) {
        throw new RequestError(
          'invite_email_mismatch',
          403,
          'The invite was issued to another email address',
        );
      }

      const userId = await upsertUser(db, principal.sub, email);
      // The claim: whoever commits first wins; the others wait on the row lock, then match nothing.
      const [claimed] = await db.query<[{ id: string }[], number]>(
        `UPDATE invites SET accepted_at = now(), accepted_by = $2
          WHERE id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()
          RETURNING id`,
        [invite.id, userId],
      );
      if (claimed.length === 0) throw await this.whyUnclaimable(db, invite.id);

      // The scope may have been deleted since the invite was issued: then there is nothing to join (404).
      await assertScopeInOrg(db, orgId, invite.scope_kind, invite.scope_id);
      // A membership already held on the scope keeps the higher of the two roles; if the invite raises
      // it, the membership becomes the invite's (group sync then leaves it alone).
      await db.query(
        `INSERT INTO memberships (user_id, org_id, scope_kind, scope_id, role, source)
         VALUES ($1, $2, $3, $4, $5, 'invite')
         ON CONFLICT (user_id, scope_kind, scope_id) DO UPDATE SET role = EXCLUDED.role, source = EXCLUDED.source
          WHERE array_position(${RANKED_ROLES}, EXCLUDED.role) > array_position(${RANKED_ROLES}, memberships.role)`,
        [userId, orgId, invite.scope_kind, invite.scope_id, invite.role],
      );
      const membership = one(
        await db.query<{ role: Role }[]>(
          `SELECT role FROM memberships WHERE user_id = $1 AND scope_kind = $2 AND scope_id = $3`,
          [userId, invite.scope_kind, invite.scope_id],
        ),
        'membership',
      );
      await this.audit.record(db, actor, orgId, 'tenancy.invite_accepted', {
        invite_id: invite.id,
        scope_kind: invite.scope_kind,
        scope_id: invite.scope_id,
        role: membership.role,
      });
      return {
        invite_id: invite.id,
        org_id: orgId,
        scope_kind: invite.scope_kind,
        scope_id: invite.scope_id,
        role: membership.role,
      } satisfies AcceptedInvite;
    });
    await this.memberships.invalidate(orgId);
    return accepted;
  }

  /** Why a claim that passed the checks matched nothing: a concurrent request changed the row. */
  private async whyUnclaimable(db: EntityManager, inviteId: string): Promise<RequestError> {
    const rows = await db.query<{ revoked: boolean; accepted: boolean }[]>(
      `SELECT revoked_at IS NOT NULL AS revoked, accepted_at IS NOT NULL AS accepted FROM invites WHERE id = $1`,
      [inviteId],
    );
    const row = rows[0];
    if (!row) return invalid();
    if (row.revoked) return revoked();
    if (row.accepted) return used();
    return expired();
  }
}

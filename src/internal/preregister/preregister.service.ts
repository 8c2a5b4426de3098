import { Inject, Injectable } from '@nestjs/common';
import { AuditLedger } from '../../audit/ledger/audit-ledger';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { SYSTEM_SCOPE, TenantDb } from '../../database/tenant-db';
import { InviteTokens, type SignedInvite } from '../../tenancy/invites/invite-tokens';
import type { ChangeActor } from '../../tenancy/org-scope/org-access';
import { unlessDatabaseDown } from '../database-unavailable';
import { domainOf, isBlockedDomain } from './blocked-domain';
import type { PreregisterCheckBody, PreregisterDecision, PreregisterDenial } from './preregister.dto';

interface InviteRow extends SignedInvite {
  accepted_at: Date | null;
  revoked_at: Date | null;
  live: boolean;
}

/**
 * The pre-user-registration check: refuses disposable email domains, and checks an invite token against
 * the tenancy invites (signature, state, bound email) when the sign-up carries one or must. Read-only:
 * the invite is accepted later, by the signed-in user (`POST /tenancy/invites/accept`). Every decision
 * is written to the ledger with the email's domain, never the address.
 */
@Injectable()
export class PreregisterService {
  private readonly blocked: ReadonlySet<string>;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly tenantDb: TenantDb,
    private readonly ledger: AuditLedger,
    private readonly tokens: InviteTokens,
  ) {
    this.blocked = config.preregister.blockedEmailDomains;
  }

  check(actor: ChangeActor, body: PreregisterCheckBody): Promise<PreregisterDecision> {
    return unlessDatabaseDown(async () => {
      const { decision, inviteId } = await this.decide(body);
      await this.ledger.record({
        eventType: 'auth0.preregister_check',
        outcome: decision.allowed ? 'success' : 'deny',
        reason: decision.reason,
        orgId: decision.invite_org_id,
        actorUserId: actor.sub,
        route: actor.route,
        ip: actor.ip,
        requestId: actor.requestId,
        details: {
          email_domain: domainOf(body.email),
          invite_id: inviteId,
          require_invite: body.require_invite === true,
        },
      });
      return decision;
    });
  }

  private async decide(
    body: PreregisterCheckBody,
  ): Promise<{ decision: PreregisterDecision; inviteId: string | null }> {
    const deny = (reason: PreregisterDenial, inviteId: string | null = null) => ({
      decision: { allowed: false, reason, invite_org_id: null },
      inviteId,
    });
    if (isBlockedDomain(body.email, this.blocked)) return deny('disposable_email');
    const token = body.invite_token ?? null;
    if (token === null) {
      return body.require_invite === true
        ? deny('invite_required')
        : { decision: { allowed: true, reason: null, invite_org_id: null }, inviteId: null };
    }

    // One answer for every token that is not a live invite of ours: no oracle for guessing ids.
    const presented = this.tokens.parse(token);
    if (!presented) return deny('invite_invalid');
    const rows = await this.tenantDb.run(SYSTEM_SCOPE, (db) =>
      db.query<InviteRow[]>(
        `SELECT id, org_id, email, scope_kind, scope_id, role, expires_at, accepted_at, revoked_at,
                expires_at > now() AS live
           FROM invites WHERE id = $1`,
        [presented.id],
      ),
    );
    const invite = rows[0];
    if (!invite || !this.tokens.verify(invite, presented.digest)) return deny('invite_invalid');
    if (invite.revoked_at) return deny('invite_revoked', invite.id);
    if (invite.accepted_at) return deny('invite_used', invite.id);
    if (!invite.live) return deny('invite_expired', invite.id);
    if (invite.email !== body.email.toLowerCase()) return deny('invite_email_mismatch', invite.id);
    return { decision: { allowed: true, reason: null, invite_org_id: invite.org_id }, inviteId: invite.id };
  }
}

import { createHmac, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { KeyObject } from 'node:crypto';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import type { Role, ScopeKind } from '../memberships/membership.entity';

/** What an invite row says, which its token's signature covers. */
export interface SignedInvite {
  readonly id: string;
  readonly org_id: string;
  readonly email: string;
  readonly scope_kind: ScopeKind;
  readonly scope_id: string;
  readonly role: Role;
  readonly expires_at: Date;
}

/** `<invite id>.<43 characters of unpadded base64url>`: the id, then an HMAC-SHA256 digest. */
const TOKEN = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([A-Za-z0-9_-]{43})$/;
const DIGEST_BYTES = 32;
const VERSION = 'alphaswarm.invite.v1';

/**
 * Invite tokens: `<id>.<base64url(HMAC-SHA256(key, canonical(row)))>`. The digest covers everything the
 * row grants, so nothing secret is stored, and a row changed behind the service's back (another email,
 * a higher role, a later expiry) no longer matches any token issued for it. The key is
 * ALPHASWARM_TENANCY_INVITE_SECRET, shared by every instance.
 */
@Injectable()
export class InviteTokens {
  private readonly key: KeyObject;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.key = config.tenancy.inviteSecret;
  }

  sign(invite: SignedInvite): string {
    return `${invite.id}.${this.digest(invite).toString('base64url')}`;
  }

  /**
   * The invite id and the digest a token carries, or undefined when it is not shaped like one of ours.
   * Only the canonical base64url spelling is taken, so one invite has exactly one valid token.
   */
  parse(token: string): { id: string; digest: Buffer } | undefined {
    const match = TOKEN.exec(token);
    if (!match) return undefined;
    const [, id, encoded] = match;
    const digest = Buffer.from(encoded, 'base64url');
    if (digest.length !== DIGEST_BYTES || digest.toString('base64url') !== encoded) return undefined;
    return { id, digest };
  }

  /** Whether `digest` is this row's, compared in constant time (lengths are checked first: both public). */
  verify(invite: SignedInvite, digest: Buffer): boolean {
    const expected = this.digest(invite);
    return digest.length === expected.length && timingSafeEqual(digest, expected);
  }

  /** A JSON array: unambiguous field boundaries, whatever an email contains. */
  private digest(invite: SignedInvite): Buffer {
    const canonical = JSON.stringify([
      VERSION,
      invite.id.toLowerCase(),
      invite.org_id.toLowerCase(),
      invite.email.toLowerCase(),
      invite.scope_kind,
      invite.scope_id.toLowerCase(),
      invite.role,
      invite.expires_at.getTime(),
    ]);
    return createHmac('sha256', this.key).update(canonical, 'utf8').digest();
  }
}

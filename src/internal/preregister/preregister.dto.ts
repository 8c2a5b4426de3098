import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsEmail, IsOptional, IsString, MaxLength } from 'class-validator';

/** `POST /_internal/auth/preregister-check`, sent by the pre-user-registration Action. */
export class PreregisterCheckBody {
  @ApiProperty({ maxLength: 320 })
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(320)
  email!: string;

  /** An invite token of `/tenancy/orgs/:orgId/invites`, when the sign-up carries one. */
  @ApiPropertyOptional({ maxLength: 1024 })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  invite_token?: string | null;

  /** Refuse the sign-up unless it carries a valid invite for this email (invite-only, B2B flows). */
  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  require_invite?: boolean | null;
}

/** Why a sign-up is refused. Stable: the Action passes it to `api.access.deny` and the ledger keeps it. */
export const PREREGISTER_DENIALS = [
  'disposable_email',
  'invite_required',
  'invite_invalid',
  'invite_email_mismatch',
  'invite_expired',
  'invite_revoked',
  'invite_used',
] as const;
export type PreregisterDenial = (typeof PREREGISTER_DENIALS)[number];

export interface PreregisterDecision {
  allowed: boolean;
  /** Null when allowed. */
  reason: PreregisterDenial | null;
  /** The organization of the valid invite the sign-up carried, else null. */
  invite_org_id: string | null;
}

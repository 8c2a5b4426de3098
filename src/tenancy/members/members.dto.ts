import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsNotEmpty, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import type { Membership, MembershipSource, ScopeKind } from '../memberships/membership.entity';
import { ROLES, type Role } from '../memberships/roles';

export const SCOPE_KINDS: readonly ScopeKind[] = ['organization', 'team', 'workspace', 'project', 'lab'];

export class AddMemberBody {
  @ApiProperty({ description: 'IdP subject of the user (a user row is created when missing)' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  user_sub!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsEmail()
  @MaxLength(320)
  email?: string;

  @ApiPropertyOptional({ enum: SCOPE_KINDS, default: 'organization' })
  @IsOptional()
  @IsIn(SCOPE_KINDS)
  scope_kind?: ScopeKind;

  @ApiPropertyOptional({ description: 'Defaults to the organization itself' })
  @IsOptional()
  @IsUUID()
  scope_id?: string;

  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES)
  role!: Role;
}

export class ChangeRoleBody {
  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES)
  role!: Role;
}

/** A membership and its member, as the API answers it. */
export interface MemberResponse {
  id: string;
  user_id: string;
  sub: string;
  email: string | null;
  scope_kind: ScopeKind;
  scope_id: string;
  role: Role;
  source: MembershipSource;
  created_at: Date;
}

/** `membership.user` must be loaded (the member's `sub` and email come from it). */
export function toMemberResponse(membership: Membership): MemberResponse {
  return {
    id: membership.id,
    user_id: membership.userId,
    sub: membership.user.sub,
    email: membership.user.email,
    scope_kind: membership.scopeKind,
    scope_id: membership.scopeId,
    role: membership.role,
    source: membership.source,
    created_at: membership.createdAt,
  };
}

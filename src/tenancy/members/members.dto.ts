import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsNotEmpty, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { ROLES, type Role, type ScopeKind } from '../memberships/membership.entity';

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

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsNotEmpty, IsString, IsUUID, MaxLength, ValidateIf } from 'class-validator';
import { ROLES, type Role, type ScopeKind } from '../memberships/membership.entity';

const SCOPE_KINDS = [
  'organization',
  'team',
  'workspace',
  'project',
  'lab',
] as const satisfies readonly ScopeKind[];

/** May be left out, but not sent as null (null is not "the default"). */
const Omittable = () => ValidateIf((_object: object, value: unknown) => value !== undefined);

export class IssueInviteBody {
  @ApiProperty({ maxLength: 254, example: 'ada@example.com', description: 'Compared case-insensitively' })
  @IsString()
  @MaxLength(254)
  @IsEmail()
  email!: string;

  @ApiPropertyOptional({ enum: SCOPE_KINDS, default: 'organization' })
  @Omittable()
  @IsIn(SCOPE_KINDS)
  scope_kind?: ScopeKind;

  @ApiPropertyOptional({
    description: 'Required unless scope_kind is organization; defaults to the organization',
  })
  @Omittable()
  @IsUUID()
  scope_id?: string;

  @ApiPropertyOptional({ enum: ROLES, default: 'member', description: 'Only an owner may invite an owner' })
  @Omittable()
  @IsIn(ROLES)
  role?: Role;
}

export class AcceptInviteBody {
  /*
   * Any string up to the limit reaches the token check, so every token this service did not issue
   * gets the same `invite_invalid` answer; only a body that is not `{ token: string }` is a plain 400.
   */
  @ApiProperty({ description: 'The token returned once when the invite was issued' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1024)
  token!: string;
}

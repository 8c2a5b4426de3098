import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import type { ScopeKind } from '../memberships/membership.entity';
import { ROLES, type Role } from '../memberships/roles';
import type { IdpGroupMapping } from './idp-group-mapping.entity';
import { PageQuery } from '../pagination';

const SCOPE_KINDS = [
  'organization',
  'team',
  'workspace',
  'project',
  'lab',
] as const satisfies readonly ScopeKind[];

export class IdpGroupMappingQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Only the mappings of this IdP connection' })
  @IsOptional()
  @IsUUID()
  connection_id?: string;
}

export class CreateIdpGroupMappingBody {
  @ApiProperty({ description: 'An IdP connection of this organization' })
  @IsUUID()
  connection_id!: string;

  /*
   * Compared exactly with the group names the IdP sends, which the group-sync Action trims: a name
   * with surrounding whitespace could never match, so it is refused rather than stored.
   */
  @ApiProperty({ maxLength: 256, example: 'Engineering' })
  @IsString()
  @MaxLength(256)
  @Matches(/^\S(.*\S)?$/s, { message: 'external_group must be non-empty, without surrounding whitespace' })
  external_group!: string;

  @ApiProperty({ enum: SCOPE_KINDS })
  @IsIn(SCOPE_KINDS)
  scope_kind!: ScopeKind;

  @ApiProperty({ description: 'The organization, team, workspace, project or lab, inside this organization' })
  @IsUUID()
  scope_id!: string;

  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES)
  role!: Role;
}

/** An IdP group mapping as the API answers it. */
export interface IdpGroupMappingResponse {
  id: string;
  org_id: string;
  connection_id: string;
  external_group: string;
  scope_kind: ScopeKind;
  scope_id: string;
  role: Role;
  created_at: Date;
}

export function toIdpGroupMappingResponse(mapping: IdpGroupMapping): IdpGroupMappingResponse {
  return {
    id: mapping.id,
    org_id: mapping.orgId,
    connection_id: mapping.connectionId,
    external_group: mapping.externalGroup,
    scope_kind: mapping.scopeKind,
    scope_id: mapping.scopeId,
    role: mapping.role,
    created_at: mapping.createdAt,
  };
}

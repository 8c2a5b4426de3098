import { ApiProperty } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsNotEmpty,
  IsString,
  Matches,
  MaxLength,
  ValidateIf,
} from 'class-validator';
import { IDP_KINDS, type IdpKind } from '../../tenancy/idp-connections/idp-connection.entity';
import type { Role, ScopeKind } from '../../tenancy/memberships/membership.entity';
import { AUTH0_ORG_ID, IsPersonSubject } from '../internal-subject';

/** More groups than any IdP sends for one person; a longer list is refused, not cut. */
export const MAX_EXTERNAL_GROUPS = 1000;

/**
 * `POST /_internal/idp/sync-groups` (SPEC §7), sent by the IdP group sync Action. Validation messages
 * name fields, never values: group names are PII-adjacent and must not come back in an error.
 */
export class SyncGroupsBody {
  @ApiProperty({ example: 'samlp|acme-okta|alice@acme.com' })
  @IsPersonSubject()
  user_id!: string;

  /** Null when the login went through no Auth0 Organization: then nothing is granted or removed. */
  @ApiProperty({ nullable: true, example: 'org_abc123' })
  @ValidateIf((body: SyncGroupsBody) => body.auth0_organization_id !== null)
  @Matches(AUTH0_ORG_ID, {
    message: 'auth0_organization_id must be an Auth0 Organization id (org_…) or null',
  })
  auth0_organization_id!: string | null;

  @ApiProperty({ enum: IDP_KINDS })
  @IsIn(IDP_KINDS, { message: `connection_kind must be one of ${IDP_KINDS.join(', ')}` })
  connection_kind!: IdpKind;

  @ApiProperty({ type: [String], maxItems: MAX_EXTERNAL_GROUPS })
  @IsArray()
  @ArrayMaxSize(MAX_EXTERNAL_GROUPS)
  @IsString({ each: true })
  @IsNotEmpty({ each: true })
  @MaxLength(512, { each: true })
  external_groups!: string[];
}

export interface GrantedScope {
  scope_kind: ScopeKind;
  scope_id: string;
  role: Role;
}

/** What the sync did. Scopes and roles only: never a group name. */
export interface GroupSyncResult {
  /** The organization bound to the Auth0 Organization id, or null when none is (nothing was done). */
  org_id: string | null;
  /** The user's `idp_group` memberships in that organization after the sync. */
  memberships: GrantedScope[];
  granted: number;
  changed: number;
  removed: number;
}

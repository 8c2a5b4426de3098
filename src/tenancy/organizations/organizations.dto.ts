import type { Organization, OrganizationKind } from './organization.entity';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsEmail,
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateIf,
} from 'class-validator';

/** Auth0 Organization ids look like `org_abc123`. */
const AUTH0_ORG_ID = /^org_[A-Za-z0-9]{1,64}$/;
const AUTH0_ORG_ID_MESSAGE = 'auth0_org_id must be an Auth0 Organization id (org_…)';

export class CreateOrganizationBody {
  @ApiProperty({ maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiProperty({ description: 'The Auth0 Organization this institutional organization is bound to' })
  @Matches(AUTH0_ORG_ID, { message: AUTH0_ORG_ID_MESSAGE })
  auth0_org_id!: string;

  @ApiProperty({ description: 'IdP subject of the first owner (a user row is created when missing)' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  owner_sub!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsEmail()
  @MaxLength(320)
  owner_email?: string;
}

export class RenameOrganizationBody {
  @ApiProperty({ maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;
}

/** Moves an organization between the personal (B2C) and institutional (B2B, Auth0-bound) strategies. */
export class OrganizationStrategyBody {
  @ApiProperty({ enum: ['personal', 'institutional'] })
  @IsIn(['personal', 'institutional'])
  kind!: 'personal' | 'institutional';

  @ApiPropertyOptional({ description: 'Required for institutional' })
  @ValidateIf((body: OrganizationStrategyBody) => body.kind === 'institutional')
  @Matches(AUTH0_ORG_ID, { message: AUTH0_ORG_ID_MESSAGE })
  auth0_org_id?: string;
}

/** An organization as the API answers it. */
export interface OrganizationResponse {
  id: string;
  kind: OrganizationKind;
  name: string;
  auth0_org_id: string | null;
  created_at: Date;
}

export function toOrganizationResponse(organization: Organization): OrganizationResponse {
  return {
    id: organization.id,
    kind: organization.kind,
    name: organization.name,
    auth0_org_id: organization.auth0OrgId,
    created_at: organization.createdAt,
  };
}

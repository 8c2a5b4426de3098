import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsEmail,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { AUTH0_ORG_ID, IsPersonSubject } from '../internal-subject';

/** What the Action says about the login beyond the user: which Auth0 connection drove it. */
export class RequestedClaims {
  @ApiPropertyOptional({ description: 'Auth0 connection name (event.connection.name)', maxLength: 128 })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  connection?: string;

  @ApiPropertyOptional({
    description: 'Auth0 connection strategy (event.connection.strategy)',
    maxLength: 64,
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  strategy?: string;
}

/** `POST /_internal/auth0/sync` (SPEC §7), sent by the post-login Action. */
export class Auth0SyncBody {
  @ApiProperty({ description: 'Auth0 user id (event.user.user_id)', example: 'auth0|64b7…' })
  @IsPersonSubject()
  user_id!: string;

  /** Required, but may be null: not every connection gives an email (phone, some social logins). */
  @ApiProperty({ nullable: true, maxLength: 320 })
  @ValidateIf((body: Auth0SyncBody) => body.email !== null)
  @IsEmail({}, { message: 'email must be an email address or null' })
  @MaxLength(320)
  email!: string | null;

  @ApiPropertyOptional({
    description: 'Auth0 Organization id (event.organization.id)',
    example: 'org_abc123',
  })
  @IsOptional()
  @Matches(AUTH0_ORG_ID, { message: 'organization_id must be an Auth0 Organization id (org_…)' })
  organization_id?: string | null;

  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  organization_name?: string | null;

  @ApiPropertyOptional({ type: RequestedClaims })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => RequestedClaims)
  requested_claims?: RequestedClaims | null;
}

/** The claims the post-login Action injects; `null` where the user has none. */
export interface SyncClaims {
  org_id: string | null;
  team_id: string | null;
  workspace_id: string | null;
  project_id: string | null;
  lab_id: string | null;
  roles: string[] | null;
  connection: string | null;
  internal_user_id: string;
}

import { ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsEmail,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
} from 'class-validator';

/** What a developer may put into a locally minted user token. Everything is optional. */
export class LocalLoginDto {
  @ApiPropertyOptional({ example: 'auth0|alice', description: 'Subject; defaults to the local-default user' })
  @IsOptional()
  @IsString()
  @Length(1, 256)
  sub?: string;

  @ApiPropertyOptional({ example: ['read:portfolio'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(64)
  @IsString({ each: true })
  permissions?: string[];

  @ApiPropertyOptional({ description: 'Organization claim; defaults to the local-default org' })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  org_id?: string;

  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 128) team_id?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 128) workspace_id?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 128) project_id?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 128) lab_id?: string;

  @ApiPropertyOptional({ example: ['owner'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(16)
  @IsString({ each: true })
  roles?: string[];

  @ApiPropertyOptional({ example: ['pwd', 'mfa'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(8)
  @IsString({ each: true })
  amr?: string[];

  @ApiPropertyOptional({ description: 'Seconds since the epoch; defaults to now' })
  @IsOptional()
  @IsInt()
  @Min(0)
  auth_time?: number;

  @ApiPropertyOptional() @IsOptional() @IsEmail() email?: string;

  @ApiPropertyOptional({ description: 'Token lifetime in seconds (max 1 day)' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(86400)
  expires_in?: number;

  @ApiPropertyOptional({
    description: 'Binds the token to this DPoP key: its RFC 7638 SHA-256 thumbprint (cnf.jkt)',
  })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{43}$/, { message: 'dpop_jkt must be a base64url SHA-256 JWK thumbprint' })
  dpop_jkt?: string;
}

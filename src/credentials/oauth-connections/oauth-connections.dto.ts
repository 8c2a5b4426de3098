import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import type { OAuthConnection } from './oauth-connection.entity';

const Omittable = () => ValidateIf((_object: object, value: unknown) => value !== undefined);

/** What the provider sent back to the redirect URI, relayed by the app: `code` and `state`, or `error`. */
export class OAuthCallbackQuery {
  @ApiPropertyOptional()
  @Omittable()
  @IsString()
  @MaxLength(4096)
  code?: string;

  @ApiPropertyOptional()
  @Omittable()
  @Matches(/^[A-Za-z0-9_-]{16,128}$/, { message: 'state must be the state the start route answered' })
  state?: string;

  @ApiPropertyOptional()
  @Omittable()
  @Matches(/^[\x20-\x21\x23-\x5b\x5d-\x7e]{1,128}$/, { message: 'error must be an OAuth error code' })
  error?: string;

  @ApiPropertyOptional()
  @Omittable()
  @IsString()
  @MaxLength(1024)
  error_description?: string;

  /** RFC 9207: the issuer that answered. */
  @ApiPropertyOptional()
  @Omittable()
  @IsString()
  @MaxLength(2048)
  iss?: string;
}

/** Which connection the platform resolves: the person (`sub`) and the provider. */
export class ResolveOAuthConnectionBody {
  @IsString()
  @Matches(/^[\x21-\x7e]{1,256}$/, { message: 'user_sub must be a token subject' })
  user_sub!: string;

  @IsString()
  @Matches(/^[a-z]{1,32}$/, { message: 'provider must be a provider id' })
  provider!: string;
}

/** A connection as its owner sees it: never a token. */
export interface OAuthConnectionResponse {
  id: string;
  provider: string;
  account: string | null;
  scopes: string[];
  expires_at: Date | null;
  fingerprint: string;
  created_at: Date;
  updated_at: Date;
}

export function toOAuthConnectionResponse(connection: OAuthConnection): OAuthConnectionResponse {
  return {
    id: connection.id,
    provider: connection.provider,
    account: connection.account,
    scopes: connection.scopes.split(' ').filter((scope) => scope !== ''),
    expires_at: connection.expiresAt,
    fingerprint: connection.fingerprint,
    created_at: connection.createdAt,
    updated_at: connection.updatedAt,
  };
}

/** The platform's view of a resolved connection: the access token to call the provider with. */
export interface ResolvedOAuthConnection {
  provider: string;
  account: string | null;
  scopes: string[];
  access_token: string;
  token_type: string;
  expires_at: Date | null;
  refreshed: boolean;
}

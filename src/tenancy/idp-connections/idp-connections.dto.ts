import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import {
  IDP_CONNECTION_STATUSES,
  IDP_KINDS,
  type IdpConnection,
  type IdpConnectionStatus,
  type IdpKind,
} from './idp-connection.entity';

/** Auth0's own rule for connection names, so a typo is refused here rather than never matching a login. */
const AUTH0_CONNECTION_NAME = /^[a-zA-Z0-9](-[a-zA-Z0-9]|[a-zA-Z0-9])*$/;
const CONNECTION_NAME_MESSAGE =
  'connection_name must be an Auth0 connection name: letters, digits and single dashes, starting and ending with a letter or digit';

/** May be left out, but not sent as null: `@IsOptional()` would let null through to a NOT NULL column. */
const Omittable = () => ValidateIf((_object: object, value: unknown) => value !== undefined);

export class CreateIdpConnectionBody {
  @ApiProperty({ enum: IDP_KINDS })
  @IsIn(IDP_KINDS)
  kind!: IdpKind;

  @ApiProperty({ maxLength: 128, example: 'acme-entra', description: 'The Auth0 connection name' })
  @IsString()
  @MaxLength(128)
  @Matches(AUTH0_CONNECTION_NAME, { message: CONNECTION_NAME_MESSAGE })
  connection_name!: string;

  @ApiPropertyOptional({ enum: IDP_CONNECTION_STATUSES, default: 'active' })
  @Omittable()
  @IsIn(IDP_CONNECTION_STATUSES)
  status?: IdpConnectionStatus;
}

/** Either field or both; the kind is fixed at creation (a different IdP is a different connection). */
export class UpdateIdpConnectionBody {
  @ApiPropertyOptional({ maxLength: 128 })
  @Omittable()
  @IsString()
  @MaxLength(128)
  @Matches(AUTH0_CONNECTION_NAME, { message: CONNECTION_NAME_MESSAGE })
  connection_name?: string;

  @ApiPropertyOptional({ enum: IDP_CONNECTION_STATUSES })
  @Omittable()
  @IsIn(IDP_CONNECTION_STATUSES)
  status?: IdpConnectionStatus;
}

/** An IdP connection as the API answers it. */
export interface IdpConnectionResponse {
  id: string;
  org_id: string;
  kind: IdpKind;
  connection_name: string;
  status: IdpConnectionStatus;
  created_at: Date;
}

export function toIdpConnectionResponse(connection: IdpConnection): IdpConnectionResponse {
  return {
    id: connection.id,
    org_id: connection.orgId,
    kind: connection.kind,
    connection_name: connection.connectionName,
    status: connection.status,
    created_at: connection.createdAt,
  };
}

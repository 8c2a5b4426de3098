import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, IsUUID, Matches, ValidateIf } from 'class-validator';

const Omittable = () => ValidateIf((_object: object, value: unknown) => value !== undefined);

/** Which broker credential: the organization, and the credential's id or its name (exactly one). */
export class ResolveCredentialBody {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'org_id must be a UUID' })
  org_id!: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @Omittable()
  @IsUUID('all', { message: 'credential_id must be a UUID' })
  credential_id?: string;

  @ApiPropertyOptional({ maxLength: 128 })
  @Omittable()
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,127}$/, { message: 'name must be a broker credential name' })
  name?: string;
}

/** The one answer that carries a plaintext secret (POST /_internal/credentials/resolve). */
export interface ResolvedCredential {
  id: string;
  org_id: string;
  name: string;
  kind: string;
  environment: string | null;
  metadata: Record<string, string>;
  fingerprint: string;
  secret: Readonly<Record<string, string>>;
}

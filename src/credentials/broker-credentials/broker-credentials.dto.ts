import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsObject, IsString, Matches, ValidateIf } from 'class-validator';
import {
  ALPACA_ENVIRONMENTS,
  type AlpacaEnvironment,
  BROKER_KINDS,
  type BrokerCredential,
  type BrokerKind,
} from './broker-credential.entity';

/** May be left out, but not sent as null. */
const Omittable = () => ValidateIf((_object: object, value: unknown) => value !== undefined);

export class CreateBrokerCredentialBody {
  @ApiProperty({ maxLength: 128, example: 'alpaca-paper-main' })
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,127}$/, {
    message:
      'name must be 1-128 letters, digits, spaces, dots, dashes or underscores, starting with a letter or digit',
  })
  name!: string;

  @ApiProperty({ enum: BROKER_KINDS })
  @IsIn(BROKER_KINDS, { message: `kind must be one of ${BROKER_KINDS.join(', ')}` })
  kind!: BrokerKind;

  @ApiPropertyOptional({ enum: ALPACA_ENVIRONMENTS, description: 'Required for alpaca, absent otherwise' })
  @Omittable()
  @IsIn(ALPACA_ENVIRONMENTS, { message: `environment must be one of ${ALPACA_ENVIRONMENTS.join(', ')}` })
  environment?: AlpacaEnvironment;

  @ApiProperty({
    description:
      'The secret fields of the kind: alpaca {key_id, secret_key}; generic {api_key, api_secret?, passphrase?}. Never returned.',
  })
  @IsObject({ message: 'secret must be an object of the fields the kind needs' })
  secret!: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'Up to 16 string labels; never secret' })
  @Omittable()
  @IsObject({ message: 'metadata must be an object of string labels' })
  metadata?: Record<string, unknown>;
}

/** Replaces the secret (and, for alpaca, may move it between paper and live); the name and kind stay. */
export class ReplaceBrokerSecretBody {
  @ApiPropertyOptional({ enum: ALPACA_ENVIRONMENTS })
  @Omittable()
  @IsIn(ALPACA_ENVIRONMENTS, { message: `environment must be one of ${ALPACA_ENVIRONMENTS.join(', ')}` })
  environment?: AlpacaEnvironment;

  @ApiProperty({ description: 'The new secret fields of the credential’s kind' })
  @IsObject({ message: 'secret must be an object of the fields the kind needs' })
  secret!: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'Replaces the labels when given' })
  @Omittable()
  @IsObject({ message: 'metadata must be an object of string labels' })
  metadata?: Record<string, unknown>;
}

/** A broker credential as people see it: never a secret, only its fingerprint and last four characters. */
export interface BrokerCredentialResponse {
  id: string;
  org_id: string;
  name: string;
  kind: BrokerKind;
  environment: AlpacaEnvironment | null;
  metadata: Record<string, string>;
  fingerprint: string;
  last_four: string;
  created_at: Date;
  updated_at: Date;
}

export function toBrokerCredentialResponse(credential: BrokerCredential): BrokerCredentialResponse {
  return {
    id: credential.id,
    org_id: credential.orgId,
    name: credential.name,
    kind: credential.kind,
    environment: credential.environment,
    metadata: credential.metadata,
    fingerprint: credential.fingerprint,
    last_four: credential.lastFour,
    created_at: credential.createdAt,
    updated_at: credential.updatedAt,
  };
}

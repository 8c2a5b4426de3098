import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { BrokerCredentialsController } from './broker-credentials/broker-credentials.controller';
import { BrokerCredentialsService } from './broker-credentials/broker-credentials.service';
import { CredentialsAudit } from './credentials-audit';
import { CredentialCipher } from './envelope/credential-cipher';
import { keyWrapperProvider } from './envelope/key-wrapper.provider';
import { CredentialResolverController } from './resolver/credential-resolver.controller';
import { CredentialResolverService } from './resolver/credential-resolver.service';
import { ResolveRateLimit } from './resolver/resolve-rate-limit';
import { CredentialResolver } from './service-secrets/credential-resolver';

/**
 * Credentials (docs/credentials.md): BYOK broker credentials per organization, envelope-encrypted under
 * the keyring's key-encryption keys, and the internal resolver that alone returns their plaintext.
 */
@Module({
  imports: [AuditModule],
  controllers: [BrokerCredentialsController, CredentialResolverController],
  providers: [
    keyWrapperProvider,
    CredentialCipher,
    CredentialsAudit,
    BrokerCredentialsService,
    CredentialResolverService,
    ResolveRateLimit,
    CredentialResolver,
  ],
  // For the modules that need the service's own secrets (the Auth0 Management API client, the agent broker).
  exports: [CredentialResolver],
})
export class CredentialsModule {}

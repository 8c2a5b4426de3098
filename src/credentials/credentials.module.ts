import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { BrokerCredentialsController } from './broker-credentials/broker-credentials.controller';
import { BrokerCredentialsService } from './broker-credentials/broker-credentials.service';
import { CredentialsAudit } from './credentials-audit';
import { CredentialCipher } from './envelope/credential-cipher';
import { DataKeyInvalidation } from './envelope/data-key-invalidation';
import { keyWrapperProvider } from './envelope/key-wrapper.provider';
import { OAuthConnectionsController } from './oauth-connections/oauth-connections.controller';
import { OAuthConnectionsService } from './oauth-connections/oauth-connections.service';
import { OAuthProviders } from './oauth-connections/oauth-providers';
import { CredentialResolverController } from './resolver/credential-resolver.controller';
import { CredentialResolverService } from './resolver/credential-resolver.service';
import { ResolveAudit } from './resolver/resolve-audit';
import { ResolveRateLimit } from './resolver/resolve-rate-limit';
import { CredentialResolver } from './service-secrets/credential-resolver';

/**
 * Credentials (docs/credentials.md): BYOK broker credentials per organization and per-user OAuth
 * connections, envelope-encrypted under the keyring's key-encryption keys; the internal resolver that
 * alone returns their plaintext; the service's own secrets (CredentialResolver).
 */
@Module({
  imports: [AuditModule],
  controllers: [BrokerCredentialsController, CredentialResolverController, OAuthConnectionsController],
  providers: [
    keyWrapperProvider,
    CredentialCipher,
    DataKeyInvalidation,
    CredentialsAudit,
    BrokerCredentialsService,
    CredentialResolverService,
    ResolveRateLimit,
    ResolveAudit,
    CredentialResolver,
    OAuthProviders,
    OAuthConnectionsService,
  ],
  // For the modules that need the service's own secrets (the Auth0 Management API client, the agent broker).
  exports: [CredentialResolver],
})
export class CredentialsModule {}

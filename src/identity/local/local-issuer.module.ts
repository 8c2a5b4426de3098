import { Module } from '@nestjs/common';
import { IdentityModule } from '../identity.module';
import { LocalIssuerController } from './local-issuer.controller';
import { LocalIssuer } from './local-issuer.service';
import { LocalSigningKeys } from './local-signing-keys';

/**
 * The local development issuer (docs/authentication.md): it signs tokens with a key kept in the
 * database. AppModule mounts it only under the local provider, so elsewhere its routes are absent.
 * It imports identity for the token verifier of the RFC 8693 exchange; the data source comes from the global core.
 */
@Module({
  imports: [IdentityModule],
  controllers: [LocalIssuerController],
  providers: [LocalSigningKeys, LocalIssuer],
  exports: [LocalIssuer],
})
export class LocalIssuerModule {}

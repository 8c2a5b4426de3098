import { Module } from '@nestjs/common';
import { IdentityModule } from '../identity.module';
import { LocalIssuerController } from './local-issuer.controller';
import { LocalIssuer } from './local-issuer.service';
import { LocalSigningKeys } from './local-signing-keys';

/**
 * The local development issuer (docs/authentication.md): it signs tokens with a key kept in the
 * database. AppModule mounts it only under the local provider, so elsewhere its routes are absent.
 * The data source comes from the global core; identity supplies the DPoP proof check of the token
 * endpoint.
 */
@Module({
  imports: [IdentityModule],
  controllers: [LocalIssuerController],
  providers: [LocalSigningKeys, LocalIssuer],
})
export class LocalIssuerModule {}

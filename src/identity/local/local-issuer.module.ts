import { Module } from '@nestjs/common';
import { LocalIssuerController } from './local-issuer.controller';
import { LocalIssuer } from './local-issuer.service';
import { LocalSigningKeys } from './local-signing-keys';

/**
 * The local development issuer (docs/authentication.md): it signs tokens with a key kept in the
 * database. AppModule mounts it only under the local provider, so elsewhere its routes are absent.
 * It imports nothing: the data source comes from the global core.
 */
@Module({
  controllers: [LocalIssuerController],
  providers: [LocalSigningKeys, LocalIssuer],
})
export class LocalIssuerModule {}

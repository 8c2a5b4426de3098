import { Module } from '@nestjs/common';
import { LocalIssuerController } from './local-issuer.controller';
import { LocalIssuer } from './local-issuer.service';
import { LocalSigningKeys } from './local-signing-keys';

@Module({
  controllers: [LocalIssuerController],
  providers: [LocalSigningKeys, LocalIssuer],
})
export class LocalIssuerModule {}

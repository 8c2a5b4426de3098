import { Module } from '@nestjs/common';
import { RevocationModule } from './revocation/revocation.module';

/** Endpoints called by Auth0 and the IdP (/_internal/*), and the revocation they feed. */
@Module({
  imports: [RevocationModule],
  controllers: [],
  providers: [],
})
export class InternalModule {}

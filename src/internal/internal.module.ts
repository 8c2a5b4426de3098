import { Module } from '@nestjs/common';
import { BackchannelLogoutModule } from './backchannel-logout/backchannel-logout.module';
import { LogStreamModule } from './log-stream/log-stream.module';
import { RevocationModule } from './revocation/revocation.module';

/** Endpoints called by Auth0 and the IdP (/_internal/*), and the revocation they feed. */
@Module({
  imports: [RevocationModule, LogStreamModule, BackchannelLogoutModule],
  controllers: [],
  providers: [],
})
export class InternalModule {}

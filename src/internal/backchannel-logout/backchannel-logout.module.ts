import { Module } from '@nestjs/common';
import { IdentityModule } from '../../identity/identity.module';
import { RevocationModule } from '../revocation/revocation.module';
import { BackchannelLogoutController } from './backchannel-logout.controller';
import { BackchannelLogout } from './backchannel-logout.service';
import { LogoutTokenVerifier } from './logout-token-verifier';

/** `POST /_internal/oidc/backchannel-logout`: the issuer's logout tokens in, revocations out. */
@Module({
  imports: [IdentityModule, RevocationModule],
  controllers: [BackchannelLogoutController],
  providers: [LogoutTokenVerifier, BackchannelLogout],
})
export class BackchannelLogoutModule {}

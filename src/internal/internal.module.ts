import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { TenancyModule } from '../tenancy/tenancy.module';
import { InviteTokens } from '../tenancy/invites/invite-tokens';
import { Auth0SyncController } from './auth0-sync/auth0-sync.controller';
import { Auth0SyncService } from './auth0-sync/auth0-sync.service';
import { BackchannelLogoutModule } from './backchannel-logout/backchannel-logout.module';
import { IdpGroupsController } from './idp-groups/idp-groups.controller';
import { IdpGroupSyncService } from './idp-groups/idp-group-sync.service';
import { LogStreamModule } from './log-stream/log-stream.module';
import { PreregisterController } from './preregister/preregister.controller';
import { PreregisterService } from './preregister/preregister.service';
import { RevocationModule } from './revocation/revocation.module';

/**
 * Endpoints called by Auth0 and the IdP (`/_internal/*`, docs/auth0.md, docs/revocation.md), and the
 * revocation they feed. The sync routes are `@M2mOnly` for the clients of
 * ALPHASWARM_AUTH_INTERNAL_CLIENT_IDS; the log-stream webhook and back-channel logout carry their own
 * credentials. Imports TenancyModule for the membership cache it invalidates and AuditModule for the
 * ledger row each call writes in its own transaction.
 */
@Module({
  imports: [AuditModule, TenancyModule, RevocationModule, LogStreamModule, BackchannelLogoutModule],
  controllers: [Auth0SyncController, IdpGroupsController, PreregisterController],
  // InviteTokens is stateless (the key comes from the config): its own instance here checks the same HMAC.
  providers: [Auth0SyncService, IdpGroupSyncService, PreregisterService, InviteTokens],
})
export class InternalModule {}

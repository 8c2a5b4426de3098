import { Module } from '@nestjs/common';
import { AuditModule } from '../../audit/audit.module';
import { IdentityModule } from '../../identity/identity.module';
import { TenancyModule } from '../../tenancy/tenancy.module';
import { CleanupForUser } from './cleanup-for-user';
import { RevocationRegistry } from './revocation-registry';

/**
 * Revocation that holds on every instance (docs/revocation.md): the in-memory registry that answers
 * identity's `TOKEN_REVOCATIONS` port (AppModule binds it) and the `cleanup_for_user` job that feeds
 * it. The log stream and back-channel logout import it to revoke.
 */
@Module({
  imports: [IdentityModule, AuditModule, TenancyModule],
  providers: [RevocationRegistry, CleanupForUser],
  exports: [RevocationRegistry, CleanupForUser],
})
export class RevocationModule {}

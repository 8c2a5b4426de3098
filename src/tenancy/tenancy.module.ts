import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { LocalDefaultsSeeder } from './local-defaults.seeder';
import { MembershipCache } from './memberships/membership-cache';
import { MembershipsService } from './memberships/memberships.service';
import { OrgScopedGuard } from './org-scope/org-scoped.guard';
import { TeamsController } from './teams/teams.controller';
import { TeamsService } from './teams/teams.service';
import { WhoamiController } from './whoami.controller';

/**
 * Organizations → teams → workspaces → projects/labs, users and memberships, and `@OrgScoped`. Its guard
 * is global and runs after IdentityModule's (AppModule imports identity first).
 */
@Module({
  controllers: [WhoamiController, TeamsController],
  providers: [
    MembershipsService,
    MembershipCache,
    LocalDefaultsSeeder,
    TeamsService,
    { provide: APP_GUARD, useClass: OrgScopedGuard },
  ],
  exports: [MembershipsService, MembershipCache],
})
export class TenancyModule {}

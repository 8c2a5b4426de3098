import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { IdpConnectionsController } from './idp-connections/idp-connections.controller';
import { IdpConnectionsService } from './idp-connections/idp-connections.service';
import { IdpGroupMappingsController } from './idp-group-mappings/idp-group-mappings.controller';
import { IdpGroupMappingsService } from './idp-group-mappings/idp-group-mappings.service';
import { InviteTokens } from './invites/invite-tokens';
import { InviteAcceptanceController, InvitesController } from './invites/invites.controller';
import { InvitesService } from './invites/invites.service';
import { LocalDefaultsSeeder } from './local-defaults.seeder';
import { MembershipCache } from './memberships/membership-cache';
import { MembershipsService } from './memberships/memberships.service';
import { OrgScopedGuard } from './org-scope/org-scoped.guard';
import { MembersController } from './members/members.controller';
import { MembersService } from './members/members.service';
import { OrganizationsController } from './organizations/organizations.controller';
import { OrganizationsService } from './organizations/organizations.service';
import { TeamsController } from './teams/teams.controller';
import { TeamsService } from './teams/teams.service';
import { TenancyAudit } from './tenancy-audit';
import { WhoamiController } from './whoami.controller';
import { LabsController, ProjectsController, WorkspacesController } from './workspaces/workspaces.controller';
import { WorkspacesService } from './workspaces/workspaces.service';

/**
 * Organizations → teams → workspaces → projects/labs, users and memberships, and `@OrgScoped`. It
 * imports AuditModule to record its changes in the ledger; identity's decorators and request helpers
 * are plain functions, so it injects nothing from IdentityModule. `OrgScopedGuard` is exported for
 * AppModule, which registers it as the last of the global guards.
 */
@Module({
  imports: [AuditModule],
  controllers: [
    WhoamiController,
    OrganizationsController,
    TeamsController,
    WorkspacesController,
    ProjectsController,
    LabsController,
    MembersController,
    IdpConnectionsController,
    IdpGroupMappingsController,
    InvitesController,
    InviteAcceptanceController,
  ],
  providers: [
    MembershipsService,
    MembershipCache,
    LocalDefaultsSeeder,
    TenancyAudit,
    OrganizationsService,
    TeamsService,
    WorkspacesService,
    MembersService,
    IdpConnectionsService,
    IdpGroupMappingsService,
    InviteTokens,
    InvitesService,
    OrgScopedGuard,
  ],
  exports: [MembershipsService, MembershipCache, OrgScopedGuard, WorkspacesService],
})
export class TenancyModule {}

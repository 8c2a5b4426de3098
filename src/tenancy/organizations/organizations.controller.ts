import { Body, Controller, Get, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../../identity/authentication/route-access.decorators';
import { CurrentPrincipal } from '../../identity/authentication/current-principal.decorator';
import type { Principal } from '../../identity/principal';
import { RequireScope } from '../../identity/scope/require-scope.decorator';
import { StepUp } from '../../identity/step-up/step-up.decorator';
import { CurrentActor } from '../org-scope/change-actor';
import type { ChangeActor, OrgAccess } from '../org-scope/org-access';
import { CurrentOrg, OrgAdmin, OrgScoped } from '../org-scope/org-scoped.decorator';
import { type Page, PageQuery } from '../pagination';
import {
  CreateOrganizationBody,
  OrganizationStrategyBody,
  type OrganizationResponse,
  RenameOrganizationBody,
} from './organizations.dto';
import { OrganizationsService } from './organizations.service';

@ApiTags('tenancy')
@ApiBearerAuth()
@Controller('tenancy/orgs')
export class OrganizationsController {
  constructor(private readonly organizations: OrganizationsService) {}

  /** The caller's organizations; every organization for `admin:cluster`. */
  @Authenticated()
  @Get()
  list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: PageQuery,
  ): Promise<Page<OrganizationResponse>> {
    return this.organizations.listForCaller(principal, query);
  }

  /** Institutional organizations only: personal ones are created by the first login (JIT sync). */
  @RequireScope('admin:cluster')
  @Post()
  create(
    @CurrentActor() actor: ChangeActor,
    @Body() body: CreateOrganizationBody,
  ): Promise<OrganizationResponse> {
    return this.organizations.createInstitutional(actor, body);
  }

  @OrgScoped()
  @Get(':orgId')
  get(@CurrentOrg() org: OrgAccess): Promise<OrganizationResponse> {
    return this.organizations.get(org.orgId);
  }

  @OrgAdmin()
  @Patch(':orgId')
  rename(@CurrentOrg() org: OrgAccess, @Body() body: RenameOrganizationBody): Promise<OrganizationResponse> {
    return this.organizations.rename(org, body.name);
  }

  /** A tenancy-strategy change (personal ↔ institutional): owners only, after a fresh MFA. */
  @OrgAdmin({ minRole: 'owner' })
  @StepUp()
  @Put(':orgId/strategy')
  changeStrategy(
    @CurrentOrg() org: OrgAccess,
    @Body() body: OrganizationStrategyBody,
  ): Promise<OrganizationResponse> {
    return this.organizations.changeStrategy(org, body);
  }
}

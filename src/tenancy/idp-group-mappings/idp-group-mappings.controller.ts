import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { StepUp } from '../../identity/step-up/step-up.decorator';
import type { OrgAccess } from '../org-scope/org-access';
import { CurrentOrg, OrgAdmin, OrgScoped } from '../org-scope/org-scoped.decorator';
import type { Page } from '../pagination';
import {
  CreateIdpGroupMappingBody,
  IdpGroupMappingQuery,
  type IdpGroupMappingResponse,
} from './idp-group-mappings.dto';
import { IdpGroupMappingsService } from './idp-group-mappings.service';

/** Any member may read them; a change to what IdP groups grant needs an admin after a fresh MFA. */
@ApiTags('tenancy')
@ApiBearerAuth()
@Controller('tenancy/orgs/:orgId/idp-group-mappings')
export class IdpGroupMappingsController {
  constructor(private readonly mappings: IdpGroupMappingsService) {}

  @OrgScoped()
  @Get()
  list(
    @CurrentOrg() org: OrgAccess,
    @Query() query: IdpGroupMappingQuery,
  ): Promise<Page<IdpGroupMappingResponse>> {
    return this.mappings.list(org.orgId, query, query.connection_id);
  }

  @OrgScoped()
  @Get(':mappingId')
  get(
    @CurrentOrg() org: OrgAccess,
    @Param('mappingId', ParseUUIDPipe) mappingId: string,
  ): Promise<IdpGroupMappingResponse> {
    return this.mappings.get(org.orgId, mappingId);
  }

  @OrgAdmin()
  @StepUp()
  @Post()
  create(
    @CurrentOrg() org: OrgAccess,
    @Body() body: CreateIdpGroupMappingBody,
  ): Promise<IdpGroupMappingResponse> {
    return this.mappings.create(org, {
      connectionId: body.connection_id,
      externalGroup: body.external_group,
      scopeKind: body.scope_kind,
      scopeId: body.scope_id,
      role: body.role,
    });
  }

  @OrgAdmin()
  @StepUp()
  @Delete(':mappingId')
  @HttpCode(204)
  remove(@CurrentOrg() org: OrgAccess, @Param('mappingId', ParseUUIDPipe) mappingId: string): Promise<void> {
    return this.mappings.remove(org, mappingId);
  }
}

import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { StepUp } from '../../identity/step-up/step-up.decorator';
import type { OrgAccess } from '../org-scope/org-access';
import { CurrentOrg, OrgAdmin, OrgScoped } from '../org-scope/org-scoped.decorator';
import { type Page, PageQuery } from '../pagination';
import {
  CreateIdpConnectionBody,
  type IdpConnectionResponse,
  UpdateIdpConnectionBody,
} from './idp-connections.dto';
import { IdpConnectionsService } from './idp-connections.service';

/** Any member may read them; changing how an organization signs in needs an admin after a fresh MFA. */
@ApiTags('tenancy')
@ApiBearerAuth()
@Controller('tenancy/orgs/:orgId/idp-connections')
export class IdpConnectionsController {
  constructor(private readonly connections: IdpConnectionsService) {}

  @OrgScoped()
  @Get()
  list(@CurrentOrg() org: OrgAccess, @Query() query: PageQuery): Promise<Page<IdpConnectionResponse>> {
    return this.connections.list(org.orgId, query);
  }

  @OrgScoped()
  @Get(':connectionId')
  get(
    @CurrentOrg() org: OrgAccess,
    @Param('connectionId', ParseUUIDPipe) connectionId: string,
  ): Promise<IdpConnectionResponse> {
    return this.connections.get(org.orgId, connectionId);
  }

  @OrgAdmin()
  @StepUp()
  @Post()
  create(
    @CurrentOrg() org: OrgAccess,
    @Body() body: CreateIdpConnectionBody,
  ): Promise<IdpConnectionResponse> {
    return this.connections.create(org, body.kind, body.connection_name, body.status);
  }

  @OrgAdmin()
  @StepUp()
  @Patch(':connectionId')
  update(
    @CurrentOrg() org: OrgAccess,
    @Param('connectionId', ParseUUIDPipe) connectionId: string,
    @Body() body: UpdateIdpConnectionBody,
  ): Promise<IdpConnectionResponse> {
    return this.connections.update(org, connectionId, {
      connectionName: body.connection_name,
      status: body.status,
    });
  }

  @OrgAdmin()
  @StepUp()
  @Delete(':connectionId')
  @HttpCode(204)
  remove(
    @CurrentOrg() org: OrgAccess,
    @Param('connectionId', ParseUUIDPipe) connectionId: string,
  ): Promise<void> {
    return this.connections.remove(org, connectionId);
  }
}

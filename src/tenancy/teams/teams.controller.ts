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
import type { OrgAccess } from '../org-scope/org-access';
import { CurrentOrg, OrgAdmin, OrgScoped } from '../org-scope/org-scoped.decorator';
import { type Page, PageQuery } from '../pagination';
import { TeamBody, type TeamResponse } from './teams.dto';
import { TeamsService } from './teams.service';

@ApiTags('tenancy')
@ApiBearerAuth()
@Controller('tenancy/orgs/:orgId/teams')
export class TeamsController {
  constructor(private readonly teams: TeamsService) {}

  @OrgScoped()
  @Get()
  list(@CurrentOrg() org: OrgAccess, @Query() query: PageQuery): Promise<Page<TeamResponse>> {
    return this.teams.list(org.orgId, query);
  }

  @OrgScoped()
  @Get(':teamId')
  get(@CurrentOrg() org: OrgAccess, @Param('teamId', ParseUUIDPipe) teamId: string): Promise<TeamResponse> {
    return this.teams.get(org.orgId, teamId);
  }

  @OrgAdmin()
  @Post()
  create(@CurrentOrg() org: OrgAccess, @Body() body: TeamBody): Promise<TeamResponse> {
    return this.teams.create(org, body.name);
  }

  @OrgAdmin()
  @Patch(':teamId')
  rename(
    @CurrentOrg() org: OrgAccess,
    @Param('teamId', ParseUUIDPipe) teamId: string,
    @Body() body: TeamBody,
  ): Promise<TeamResponse> {
    return this.teams.rename(org, teamId, body.name);
  }

  @OrgAdmin()
  @Delete(':teamId')
  @HttpCode(204)
  remove(@CurrentOrg() org: OrgAccess, @Param('teamId', ParseUUIDPipe) teamId: string): Promise<void> {
    return this.teams.remove(org, teamId);
  }
}

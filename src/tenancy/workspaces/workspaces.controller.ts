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
import {
  CreateWorkspaceBody,
  NamedBody,
  UpdateWorkspaceBody,
  type WorkspaceChildResponse,
  WorkspaceListQuery,
  type WorkspaceResponse,
} from './workspaces.dto';
import { type WorkspaceChildKind, WorkspacesService } from './workspaces.service';

@ApiTags('tenancy')
@ApiBearerAuth()
@Controller('tenancy/orgs/:orgId/workspaces')
export class WorkspacesController {
  constructor(private readonly workspaces: WorkspacesService) {}

  @OrgScoped()
  @Get()
  list(@CurrentOrg() org: OrgAccess, @Query() query: WorkspaceListQuery): Promise<Page<WorkspaceResponse>> {
    return this.workspaces.list(org.orgId, query.team_id, query);
  }

  @OrgScoped()
  @Get(':workspaceId')
  get(
    @CurrentOrg() org: OrgAccess,
    @Param('workspaceId', ParseUUIDPipe) id: string,
  ): Promise<WorkspaceResponse> {
    return this.workspaces.get(org.orgId, id);
  }

  @OrgAdmin()
  @Post()
  create(@CurrentOrg() org: OrgAccess, @Body() body: CreateWorkspaceBody): Promise<WorkspaceResponse> {
    return this.workspaces.create(org, body);
  }

  @OrgAdmin()
  @Patch(':workspaceId')
  update(
    @CurrentOrg() org: OrgAccess,
    @Param('workspaceId', ParseUUIDPipe) id: string,
    @Body() body: UpdateWorkspaceBody,
  ): Promise<WorkspaceResponse> {
    return this.workspaces.update(org, id, body);
  }

  @OrgAdmin()
  @Delete(':workspaceId')
  @HttpCode(204)
  remove(@CurrentOrg() org: OrgAccess, @Param('workspaceId', ParseUUIDPipe) id: string): Promise<void> {
    return this.workspaces.remove(org, id);
  }
}

/** Projects and labs have one shape, so one controller definition serves both paths. */
function workspaceChildController(kind: WorkspaceChildKind, path: 'projects' | 'labs') {
  const idParam = `${kind}Id`;

  @ApiTags('tenancy')
  @ApiBearerAuth()
  @Controller(`tenancy/orgs/:orgId/workspaces/:workspaceId/${path}`)
  class WorkspaceChildController {
    constructor(readonly workspaces: WorkspacesService) {}

    @OrgScoped()
    @Get()
    list(
      @CurrentOrg() org: OrgAccess,
      @Param('workspaceId', ParseUUIDPipe) workspaceId: string,
      @Query() query: PageQuery,
    ): Promise<Page<WorkspaceChildResponse>> {
      return this.workspaces.listChildren(kind, org.orgId, workspaceId, query);
    }

    @OrgScoped()
    @Get(`:${idParam}`)
    get(
      @CurrentOrg() org: OrgAccess,
      @Param('workspaceId', ParseUUIDPipe) workspaceId: string,
      @Param(idParam, ParseUUIDPipe) id: string,
    ): Promise<WorkspaceChildResponse> {
      return this.workspaces.getChild(kind, org.orgId, workspaceId, id);
    }

    @OrgAdmin()
    @Post()
    create(
      @CurrentOrg() org: OrgAccess,
      @Param('workspaceId', ParseUUIDPipe) workspaceId: string,
      @Body() body: NamedBody,
    ): Promise<WorkspaceChildResponse> {
      return this.workspaces.createChild(kind, org, workspaceId, body.name);
    }

    @OrgAdmin()
    @Patch(`:${idParam}`)
    rename(
      @CurrentOrg() org: OrgAccess,
      @Param('workspaceId', ParseUUIDPipe) workspaceId: string,
      @Param(idParam, ParseUUIDPipe) id: string,
      @Body() body: NamedBody,
    ): Promise<WorkspaceChildResponse> {
      return this.workspaces.renameChild(kind, org, workspaceId, id, body.name);
    }

    @OrgAdmin()
    @Delete(`:${idParam}`)
    @HttpCode(204)
    remove(
      @CurrentOrg() org: OrgAccess,
      @Param('workspaceId', ParseUUIDPipe) workspaceId: string,
      @Param(idParam, ParseUUIDPipe) id: string,
    ): Promise<void> {
      return this.workspaces.removeChild(kind, org, workspaceId, id);
    }
  }
  Object.defineProperty(WorkspaceChildController, 'name', {
    value: kind === 'project' ? 'ProjectsController' : 'LabsController',
  });
  return WorkspaceChildController;
}

export const ProjectsController = workspaceChildController('project', 'projects');
export const LabsController = workspaceChildController('lab', 'labs');

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
import { AddMemberBody, ChangeRoleBody, type MemberResponse } from './members.dto';
import { MembersService } from './members.service';

@ApiTags('tenancy')
@ApiBearerAuth()
@Controller('tenancy/orgs/:orgId/members')
export class MembersController {
  constructor(private readonly members: MembersService) {}

  @OrgScoped()
  @Get()
  list(@CurrentOrg() org: OrgAccess, @Query() query: PageQuery): Promise<Page<MemberResponse>> {
    return this.members.list(org.orgId, query);
  }

  @OrgScoped()
  @Get(':membershipId')
  get(
    @CurrentOrg() org: OrgAccess,
    @Param('membershipId', ParseUUIDPipe) id: string,
  ): Promise<MemberResponse> {
    return this.members.get(org.orgId, id);
  }

  @OrgAdmin()
  @Post()
  add(@CurrentOrg() org: OrgAccess, @Body() body: AddMemberBody): Promise<MemberResponse> {
    return this.members.add(org, body);
  }

  @OrgAdmin()
  @Patch(':membershipId')
  changeRole(
    @CurrentOrg() org: OrgAccess,
    @Param('membershipId', ParseUUIDPipe) id: string,
    @Body() body: ChangeRoleBody,
  ): Promise<MemberResponse> {
    return this.members.changeRole(org, id, body.role);
  }

  /** Membership removal is on the step-up list (docs/authentication.md, "Step-up"). */
  @OrgAdmin()
  @StepUp()
  @Delete(':membershipId')
  @HttpCode(204)
  remove(@CurrentOrg() org: OrgAccess, @Param('membershipId', ParseUUIDPipe) id: string): Promise<void> {
    return this.members.remove(org, id);
  }
}

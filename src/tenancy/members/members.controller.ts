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
import { AddMemberBody, ChangeRoleBody } from './members.dto';
import { type MemberView, MembersService } from './members.service';

@ApiTags('tenancy')
@ApiBearerAuth()
@Controller('tenancy/orgs/:orgId/members')
export class MembersController {
  constructor(private readonly members: MembersService) {}

  @OrgScoped()
  @Get()
  list(@CurrentOrg() org: OrgAccess, @Query() query: PageQuery): Promise<Page<MemberView>> {
    return this.members.list(org.orgId, query);
  }

  @OrgScoped()
  @Get(':membershipId')
  get(@CurrentOrg() org: OrgAccess, @Param('membershipId', ParseUUIDPipe) id: string): Promise<MemberView> {
    return this.members.get(org.orgId, id);
  }

  @OrgAdmin()
  @Post()
  add(@CurrentOrg() org: OrgAccess, @Body() body: AddMemberBody): Promise<MemberView> {
    return this.members.add(org, body);
  }

  @OrgAdmin()
  @Patch(':membershipId')
  changeRole(
    @CurrentOrg() org: OrgAccess,
    @Param('membershipId', ParseUUIDPipe) id: string,
    @Body() body: ChangeRoleBody,
  ): Promise<MemberView> {
    return this.members.changeRole(org, id, body.role);
  }

  /** Membership removal is on the step-up list (SPEC §4). */
  @OrgAdmin()
  @StepUp()
  @Delete(':membershipId')
  @HttpCode(204)
  remove(@CurrentOrg() org: OrgAccess, @Param('membershipId', ParseUUIDPipe) id: string): Promise<void> {
    return this.members.remove(org, id);
  }
}

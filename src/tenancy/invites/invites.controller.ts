import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../../identity/authentication/current-principal.decorator';
import { Authenticated } from '../../identity/authentication/route-access.decorators';
import { AuthError } from '../../identity/errors/auth-error';
import type { Principal } from '../../identity/principal';
import { StepUp } from '../../identity/step-up/step-up.decorator';
import { CurrentActor } from '../org-scope/change-actor';
import type { ChangeActor, OrgAccess } from '../org-scope/org-access';
import { CurrentOrg, OrgAdmin, OrgScoped } from '../org-scope/org-scoped.decorator';
import { type Page, PageQuery } from '../pagination';
import { AcceptInviteBody, IssueInviteBody } from './invites.dto';
import { type AcceptedInvite, type InviteView, type IssuedInvite, InvitesService } from './invites.service';

/** An organization's invites: admins only, even to list them (they name people who are not members). */
@ApiTags('tenancy')
@ApiBearerAuth()
@Controller('tenancy/orgs/:orgId/invites')
export class InvitesController {
  constructor(private readonly invites: InvitesService) {}

  @OrgScoped({ minRole: 'admin' })
  @Get()
  list(@CurrentOrg() org: OrgAccess, @Query() query: PageQuery): Promise<Page<InviteView>> {
    return this.invites.list(org.orgId, query);
  }

  /** The response carries the token once; it is not stored and cannot be shown again. */
  @OrgAdmin()
  @StepUp()
  @Post()
  issue(@CurrentOrg() org: OrgAccess, @Body() body: IssueInviteBody): Promise<IssuedInvite> {
    return this.invites.issue(org, {
      email: body.email,
      scopeKind: body.scope_kind,
      scopeId: body.scope_id,
      role: body.role,
    });
  }

  /** Revoking only takes a chance away, so it needs no step-up. */
  @OrgAdmin()
  @Delete(':inviteId')
  @HttpCode(204)
  revoke(@CurrentOrg() org: OrgAccess, @Param('inviteId', ParseUUIDPipe) inviteId: string): Promise<void> {
    return this.invites.revoke(org, inviteId);
  }
}

/** Accepting is not org-scoped: the caller is not a member yet; the token says which organization. */
@ApiTags('tenancy')
@ApiBearerAuth()
@Controller('tenancy/invites')
export class InviteAcceptanceController {
  constructor(private readonly invites: InvitesService) {}

  @Authenticated()
  @Post('accept')
  @HttpCode(200)
  accept(
    @CurrentPrincipal() principal: Principal,
    @CurrentActor() actor: ChangeActor,
    @Body() body: AcceptInviteBody,
  ): Promise<AcceptedInvite> {
    // A POST never serves the anonymous principal, even under permissive enforcement; this says it twice.
    if (principal.actorType === 'anonymous') throw new AuthError('missing_token');
    return this.invites.accept(principal, actor, body.token);
  }
}

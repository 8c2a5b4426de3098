import { Controller, Get, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../identity/authentication/route-access.decorators';
import { principalToJson } from '../identity/principal';
import type { AuthenticatedRequest } from '../identity/request-context';
import { MembershipsService, type MembershipView } from './memberships/memberships.service';

/** `/auth/whoami` joins identity (the principal) and tenancy (memberships), so it lives in the outer module. */
@ApiTags('identity')
@ApiBearerAuth()
@Controller('auth')
export class WhoamiController {
  constructor(private readonly memberships: MembershipsService) {}

  @Authenticated()
  @Get('whoami')
  async whoami(
    @Req() request: AuthenticatedRequest,
  ): Promise<{ principal: unknown; memberships: MembershipView[] }> {
    const principal = request.principal;
    if (!principal || principal.actorType === 'anonymous') {
      return { principal: principal ? principalToJson(principal) : null, memberships: [] };
    }
    return {
      principal: principalToJson(principal),
      memberships: await this.memberships.listForSubject(principal.sub),
    };
  }
}

import { Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AlwaysStrict, Authenticated } from '../../identity/authentication/route-access.decorators';
import { CurrentPrincipal } from '../../identity/authentication/current-principal.decorator';
import type { Principal } from '../../identity/principal';
import { CurrentActor } from '../../tenancy/org-scope/change-actor';
import type { ChangeActor } from '../../tenancy/org-scope/org-access';
import { OAuthCallbackQuery, type OAuthConnectionResponse } from './oauth-connections.dto';
import { OAuthConnectionsService } from './oauth-connections.service';
import type { ProviderListing } from './oauth-providers';

/**
 * The caller's own connections to OAuth providers (ALPHASWARM_USER_OAUTH_ENABLED; 404 while it is off).
 * A person's token only; nobody sees, completes or deletes another person's connection. Tokens are
 * never answered here: the platform resolves them through the internal resolver.
 */
@ApiTags('credentials')
@ApiBearerAuth()
@Authenticated()
@AlwaysStrict()
@Controller('me/oauth-connections')
export class OAuthConnectionsController {
  constructor(private readonly connections: OAuthConnectionsService) {}

  @Get('providers')
  providers(): ProviderListing[] {
    return this.connections.listProviders();
  }

  @Get()
  list(@CurrentPrincipal() principal: Principal): Promise<OAuthConnectionResponse[]> {
    return this.connections.list(principal);
  }

  @Post(':provider/start')
  @HttpCode(200)
  start(
    @CurrentPrincipal() principal: Principal,
    @CurrentActor() actor: ChangeActor,
    @Param('provider') provider: string,
  ): Promise<{ authorization_url: string; state: string; expires_at: Date }> {
    return this.connections.start(principal, actor, provider);
  }

  @Get(':provider/callback')
  callback(
    @CurrentPrincipal() principal: Principal,
    @CurrentActor() actor: ChangeActor,
    @Param('provider') provider: string,
    @Query() query: OAuthCallbackQuery,
  ): Promise<OAuthConnectionResponse> {
    return this.connections.callback(principal, actor, provider, query);
  }

  @Delete(':provider')
  @HttpCode(204)
  remove(
    @CurrentPrincipal() principal: Principal,
    @CurrentActor() actor: ChangeActor,
    @Param('provider') provider: string,
  ): Promise<void> {
    return this.connections.remove(principal, actor, provider);
  }
}

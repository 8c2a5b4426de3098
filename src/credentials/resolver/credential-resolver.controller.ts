import { Body, Controller, Header, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../../identity/authentication/current-principal.decorator';
import { M2mOnly } from '../../identity/m2m/m2m-only.decorator';
import type { Principal } from '../../identity/principal';
import { CurrentActor } from '../../tenancy/org-scope/change-actor';
import type { ChangeActor } from '../../tenancy/org-scope/org-access';
import {
  ResolveOAuthConnectionBody,
  type ResolvedOAuthConnection,
} from '../oauth-connections/oauth-connections.dto';
import { OAuthConnectionsService } from '../oauth-connections/oauth-connections.service';
import { CredentialResolverService } from './credential-resolver.service';
import { ResolveRateLimit } from './resolve-rate-limit';
import { ResolveCredentialBody, type ResolvedCredential } from './resolve.dto';

/**
 * The only route that answers a plaintext secret: M2M clients on ALPHASWARM_CREDENTIALS_RESOLVE_CLIENT_IDS
 * (a trading service, say), rate-limited per client, every call in the ledger. People and agents get 403.
 */
@ApiTags('internal')
@ApiBearerAuth()
@Controller('_internal/credentials')
export class CredentialResolverController {
  constructor(
    private readonly resolver: CredentialResolverService,
    private readonly rateLimit: ResolveRateLimit,
    private readonly oauthConnections: OAuthConnectionsService,
  ) {}

  @M2mOnly((config) => config.credentials.resolveClientIds)
  @Post('resolve')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  async resolve(
    @CurrentPrincipal() principal: Principal,
    @CurrentActor() actor: ChangeActor,
    @Body() body: ResolveCredentialBody,
  ): Promise<ResolvedCredential> {
    // @M2mOnly admitted only listed client ids, so the id is present.
    const clientId = principal.clientId as string;
    await this.rateLimit.take(clientId);
    return this.resolver.resolve({ clientId, actor }, body);
  }

  /** A person's OAuth connection, its access token renewed first when it is about to expire. */
  @M2mOnly((config) => config.credentials.resolveClientIds)
  @Post('oauth-connections/resolve')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  async resolveOAuthConnection(
    @CurrentPrincipal() principal: Principal,
    @CurrentActor() actor: ChangeActor,
    @Body() body: ResolveOAuthConnectionBody,
  ): Promise<ResolvedOAuthConnection> {
    const clientId = principal.clientId as string;
    await this.rateLimit.take(clientId);
    return this.oauthConnections.resolve({ clientId, actor }, body.user_sub, body.provider);
  }
}

import { Body, Controller, Header, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../../identity/authentication/current-principal.decorator';
import { M2mOnly } from '../../identity/m2m/m2m-only.decorator';
import type { Principal } from '../../identity/principal';
import { CurrentActor } from '../../tenancy/org-scope/change-actor';
import type { ChangeActor } from '../../tenancy/org-scope/org-access';
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
}

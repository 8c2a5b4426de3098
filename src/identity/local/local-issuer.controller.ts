import { Body, Controller, Get, Headers, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { Public } from '../authentication/route-access.decorators';
import { DpopProofs } from '../dpop/dpop-proofs';
import { AuthError, OAuthError } from '../errors/auth-error';
import { LocalIssuer, type TokenResponse } from './local-issuer.service';
import { LocalLoginDto } from './local-login.dto';
import { LocalSigningKeys } from './local-signing-keys';

/** Routes of the local provider. The module is not loaded at all under auth0 or oidc. */
@ApiTags('local issuer (ALPHASWARM_AUTH_PROVIDER=local only)')
@Controller()
export class LocalIssuerController {
  private readonly dpopEnabled: boolean;

  constructor(
    private readonly issuer: LocalIssuer,
    private readonly keys: LocalSigningKeys,
    private readonly proofs: DpopProofs,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.dpopEnabled = config.auth.dpop.enabled;
  }

  @Public()
  @Get('.well-known/openid-configuration')
  discovery(): Record<string, unknown> {
    return this.issuer.discovery();
  }

  @Public()
  @Get('.well-known/jwks.json')
  jwks(): { keys: unknown[] } {
    return this.keys.jwks();
  }

  @Public()
  @Post('oauth/token')
  @HttpCode(200)
  async token(
    @Req() request: FastifyRequest,
    @Body() body: unknown,
    @Headers('authorization') authorization?: string,
  ): Promise<TokenResponse> {
    // With DPoP off a `DPoP` header is ignored, as by an issuer that does not know it (RFC 9449 §5).
    const dpopJkt = this.dpopEnabled ? await this.bindingOf(request) : undefined;
    return this.issuer.clientCredentials(body, authorization, dpopJkt);
  }

  /** Dev login: mints a user token with the chosen permissions, org claims, `amr` and `auth_time`. */
  @Public()
  @Post('auth/local/login')
  @HttpCode(200)
  login(@Body() body: LocalLoginDto): Promise<TokenResponse> {
    return this.issuer.login(body);
  }

  /** The key a DPoP proof binds the token to; a bad proof is the RFC 9449 §5 `invalid_dpop_proof`. */
  private async bindingOf(request: FastifyRequest): Promise<string | undefined> {
    try {
      return await this.proofs.bindingOf(request);
    } catch (error) {
      if (error instanceof AuthError) throw new OAuthError('invalid_dpop_proof', error.message);
      throw error;
    }
  }
}

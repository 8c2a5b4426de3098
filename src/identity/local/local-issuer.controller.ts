import { Body, Controller, Get, Headers, HttpCode, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Public } from '../authentication/route-access.decorators';
import { LocalIssuer, type TokenResponse } from './local-issuer.service';
import { LocalLoginDto } from './local-login.dto';
import { LocalSigningKeys } from './local-signing-keys';

/** Routes of the local provider. The module is not loaded at all under auth0 or oidc. */
@ApiTags('local issuer (ALPHASWARM_AUTH_PROVIDER=local only)')
@Controller()
export class LocalIssuerController {
  constructor(
    private readonly issuer: LocalIssuer,
    private readonly keys: LocalSigningKeys,
  ) {}

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
  token(@Body() body: unknown, @Headers('authorization') authorization?: string): Promise<TokenResponse> {
    return this.issuer.clientCredentials(body, authorization);
  }

  /** Dev login: mints a user token with the chosen permissions, org claims, `amr` and `auth_time`. */
  @Public()
  @Post('auth/local/login')
  @HttpCode(200)
  login(@Body() body: LocalLoginDto): Promise<TokenResponse> {
    return this.issuer.login(body);
  }
}

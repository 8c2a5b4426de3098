import { Body, Controller, Header, HttpCode, Post } from '@nestjs/common';
import { RequestError } from '../../common/errors/request-error';
import { Public } from '../../identity/authentication/route-access.decorators';
import { BackchannelLogout } from './backchannel-logout.service';

/** OIDC Back-Channel Logout 1.0 receiver (docs/revocation.md). */
@Controller('_internal/oidc')
export class BackchannelLogoutController {
  constructor(private readonly backchannel: BackchannelLogout) {}

  /**
   * Public to the access-token guard: the credential is the logout token itself, signed by the issuer
   * (§2.5), which the service verifies. 200 with no body on success, 400 on any invalid or replayed
   * token (§2.8), never cached.
   */
  @Public()
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @Post('backchannel-logout')
  async logout(@Body() body: unknown): Promise<void> {
    const token = (body as Record<string, unknown> | undefined)?.logout_token;
    if (typeof token !== 'string' || token.length === 0 || token.length > 16 * 1024) {
      throw new RequestError(
        'invalid_request',
        400,
        'Send one logout_token as an application/x-www-form-urlencoded body',
      );
    }
    await this.backchannel.logout(token);
  }
}

import { createHash, timingSafeEqual } from 'node:crypto';
import {
  applyDecorators,
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  UseGuards,
} from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { Public } from '../../identity/authentication/route-access.decorators';
import { AuthError } from '../../identity/errors/auth-error';
import { requestOf } from '../../identity/request-context';

/** `Bearer <secret>`: the scheme in any case, one space, then the secret as Auth0 sends it. */
const BEARER = /^Bearer ([\x21-\x7e]{1,4096})$/i;

const digestOf = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * The route is called by Auth0's log-stream webhook, which authenticates with the shared secret
 * `Authorization: Bearer <ALPHASWARM_AUTH0_LOG_STREAM_SECRET>`, not with a JWT. So the route is
 * `@Public()` to the global authentication guard, which would otherwise try to verify the secret as an
 * access token and refuse it, and this guard checks the secret instead. It is the route's only door:
 * a wrong or missing secret is 401, and without a configured secret every call is.
 * @example `@LogStreamSecret() @Post('auth0/log-stream') ingest(…) {…}`
 */
export const LogStreamSecret = (): MethodDecorator & ClassDecorator =>
  applyDecorators(Public(), UseGuards(LogStreamSecretGuard));

/**
 * Compares the presented secret with the configured one in constant time: both are hashed first, so
 * the comparison is of two equal-length digests whatever was sent (a secret of another length is a
 * plain 401, and its length is not revealed by timing).
 */
@Injectable()
export class LogStreamSecretGuard implements CanActivate {
  private readonly expected?: Buffer;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.expected = config.logStream.secret === undefined ? undefined : digestOf(config.logStream.secret);
  }

  canActivate(context: ExecutionContext): true {
    const request = requestOf(context);
    const header = request.headers.authorization;
    if (header === undefined) throw new AuthError('missing_token');
    const presented = typeof header === 'string' ? BEARER.exec(header)?.[1] : undefined;
    if (presented === undefined) throw new AuthError('invalid_webhook_secret');
    // Without a configured secret (development) there is nothing to match and nothing to leak.
    if (this.expected === undefined || !timingSafeEqual(digestOf(presented), this.expected)) {
      throw new AuthError('invalid_webhook_secret');
    }
    return true;
  }
}

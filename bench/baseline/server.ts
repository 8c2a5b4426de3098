import 'reflect-metadata';
import {
  type CanActivate,
  Controller,
  type ExecutionContext,
  ForbiddenException,
  Get,
  Injectable,
  Module,
  UseGuards,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuthGuard, PassportModule, PassportStrategy } from '@nestjs/passport';
import { passportJwtSecret } from 'jwks-rsa';
import { ExtractJwt, Strategy } from 'passport-jwt';

/**
 * The baseline: the JWT guard most NestJS teams write by hand, following the Auth0 quickstart. Express
 * (Nest's default platform), @nestjs/passport with passport-jwt, keys from jwks-rsa's
 * `passportJwtSecret` (cached, rate-limited), issuer/audience/algorithm checked, then a scope check.
 * Every request verifies the RS256 signature: there is no verified-token cache. Logging is off.
 * Configured by BASELINE_* variables from the orchestrator; it does not use the service's config.
 */
function settings(): { issuer: string; audience: string; jwksUri: string; port: number } {
  return {
    issuer: requireEnv('BASELINE_ISSUER'),
    audience: requireEnv('BASELINE_AUDIENCE'),
    jwksUri: requireEnv('BASELINE_JWKS_URI'),
    port: Number.parseInt(requireEnv('BASELINE_PORT'), 10),
  };
}

@Injectable()
class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor() {
    const { issuer, audience, jwksUri } = settings();
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKeyProvider: passportJwtSecret({
        jwksUri,
        cache: true,
        rateLimit: true,
        jwksRequestsPerMinute: 10,
      }),
      issuer,
      audience,
      algorithms: ['RS256'],
    });
  }

  validate(payload: Record<string, unknown>): Record<string, unknown> {
    return payload;
  }
}

/** `permissions` array or space-separated `scope` must carry the permission (Auth0 RBAC style). */
@Injectable()
class ReadPortfolioGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const user = context.switchToHttp().getRequest<{ user?: Record<string, unknown> }>().user ?? {};
    const permissions = Array.isArray(user.permissions) ? (user.permissions as unknown[]) : [];
    const scopes = typeof user.scope === 'string' ? user.scope.split(' ') : [];
    if (permissions.includes('read:portfolio') || scopes.includes('read:portfolio')) return true;
    throw new ForbiddenException('insufficient_scope');
  }
}

@Controller()
class BaselineController {
  @Get('healthz')
  health(): { ok: true } {
    return { ok: true };
  }

  @UseGuards(AuthGuard('jwt'), ReadPortfolioGuard)
  @Get('bench/scoped')
  scoped(): { ok: true } {
    return { ok: true };
  }
}

@Module({ imports: [PassportModule], controllers: [BaselineController], providers: [JwtStrategy] })
class BaselineModule {}

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

async function main(): Promise<void> {
  const { port } = settings();
  const app = await NestFactory.create(BaselineModule, { logger: false, abortOnError: false });
  app.enableShutdownHooks();
  await app.listen(port, '127.0.0.1');
}

main().catch((error: unknown) => {
  process.stderr.write(`baseline server: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

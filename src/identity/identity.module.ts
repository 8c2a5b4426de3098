import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import type { AppConfig } from '../config/app-config';
import { AuthConfigController } from './auth-config.controller';
import { NoTokenRevocations, TOKEN_REVOCATIONS } from './cache/token-revocations';
import { VerifiedTokenCache } from './cache/verified-token-cache';
import { AuthenticationGuard } from './authentication/authentication.guard';
import { AuthDecisions } from './decisions/auth-decisions';
import { ApiExceptionFilter } from './errors/api-exception.filter';
import { AccessTokenRules } from './jwt/access-token-rules';
import { JwksKeyStore } from './jwt/jwks-key-store';
import { JwtStrategy } from './jwt/jwt.strategy';
import { LocalIssuerModule } from './local/local-issuer.module';
import { ScopeGuard } from './scope/scope.guard';
import { StepUpGuard } from './step-up/step-up.guard';

/**
 * Token validation, the principal, reason codes and the error filter, the access decorators and their
 * guards. Global guards run in the order listed: authenticate → scope → step-up, then TenancyModule's org
 * guard; each is a no-op on routes without its metadata.
 */
@Module({})
export class IdentityModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: IdentityModule,
      // Global: every module's routes are guarded by it and may read its decisions and key store.
      global: true,
      // The local issuer's routes exist only under the local provider: not hidden, absent.
      imports: [PassportModule, ...(config.auth.provider === 'local' ? [LocalIssuerModule] : [])],
      controllers: [AuthConfigController],
      providers: [
        JwksKeyStore,
        VerifiedTokenCache,
        { provide: TOKEN_REVOCATIONS, useClass: NoTokenRevocations },
        AccessTokenRules,
        JwtStrategy,
        AuthDecisions,
        { provide: APP_GUARD, useClass: AuthenticationGuard },
        { provide: APP_GUARD, useClass: ScopeGuard },
        { provide: APP_GUARD, useClass: StepUpGuard },
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
      ],
      exports: [JwksKeyStore, AuthDecisions, VerifiedTokenCache, TOKEN_REVOCATIONS],
    };
  }
}

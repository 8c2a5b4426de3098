import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { AuthConfigController } from './auth-config.controller';
import { VerifiedTokenCache } from './cache/verified-token-cache';
import { AuthenticationGuard } from './authentication/authentication.guard';
import { AuthDecisions } from './decisions/auth-decisions';
import { DpopNonces } from './dpop/dpop-nonces';
import { DpopProofVerifier } from './dpop/dpop-proof-verifier';
import { DpopProofs } from './dpop/dpop-proofs';
import { DpopReplayStore } from './dpop/dpop-replay-store';
import { RequireDpopGuard } from './dpop/require-dpop.guard';
import { ApiExceptionFilter } from './errors/api-exception.filter';
import { AccessTokenRules } from './jwt/access-token-rules';
import { JwksKeyStore } from './jwt/jwks-key-store';
import { JwtStrategy } from './jwt/jwt.strategy';
import { ScopeGuard } from './scope/scope.guard';
import { M2mOnlyGuard } from './m2m/m2m-only.guard';
import { StepUpGuard } from './step-up/step-up.guard';

/**
 * Token validation, the principal, reason codes and the error filter, the access decorators and their
 * guards (docs/architecture.md). It imports nothing above the global core: a module that imports it
 * wants the key store, the verified-token cache or the decisions.
 *
 * Static, so any module may import it and Nest keeps one instance: the provider graph needs no
 * configuration to be built (providers read APP_CONFIG when constructed). The one configuration-shaped
 * choice, mounting the local issuer, is AppModule's.
 *
 * The guards are provided and exported here but registered as global guards by AppModule, which lists
 * all six in their order. AuthDecisions takes the optional DECISION_SINK port, which AppModule binds
 * to the audit ledger's buffer, so identity never imports audit; the authentication guard takes the
 * optional TOKEN_REVOCATIONS port the same way (bound to the revocation registry of src/internal).
 */
@Module({
  imports: [PassportModule],
  controllers: [AuthConfigController],
  providers: [
    JwksKeyStore,
    VerifiedTokenCache,
    AccessTokenRules,
    JwtStrategy,
    AuthDecisions,
    DpopProofVerifier,
    DpopNonces,
    DpopReplayStore,
    DpopProofs,
    AuthenticationGuard,
    RequireDpopGuard,
    M2mOnlyGuard,
    ScopeGuard,
    StepUpGuard,
    { provide: APP_FILTER, useClass: ApiExceptionFilter },
  ],
  exports: [
    JwksKeyStore,
    AuthDecisions,
    VerifiedTokenCache,
    DpopProofs,
    DpopReplayStore,
    AuthenticationGuard,
    RequireDpopGuard,
    M2mOnlyGuard,
    ScopeGuard,
    StepUpGuard,
  ],
})
export class IdentityModule {}

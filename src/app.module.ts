import { type DynamicModule, Global, Module, type Provider, type Type } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { Logger } from 'pino';
import { AuditModule } from './audit/audit.module';
import { AuditDecisionBuffer } from './audit/decisions/audit-decision-buffer';
import { AuditReadModule } from './audit-read/audit-read.module';
import type { AppConfig } from './config/app-config';
import { CoreModule } from './core/core.module';
import { CredentialsModule } from './credentials/credentials.module';
import { CredentialResolver } from './credentials/service-secrets/credential-resolver';
import type { DatabaseHandle } from './database/database';
import { AuthenticationGuard } from './identity/authentication/authentication.guard';
import { TOKEN_REVOCATIONS } from './identity/cache/token-revocations';
import { DECISION_SINK } from './identity/decisions/decision-sink';
import { EdgeModule } from './edge/edge.module';
import { AgentDelegationModule } from './identity/delegation/agent-delegation.module';
import { BROKER_CLIENT_SECRET, type BrokerClientSecret } from './identity/delegation/broker-client-secret';
import { RequireDpopGuard } from './identity/dpop/require-dpop.guard';
import { IdentityModule } from './identity/identity.module';
import { LocalIssuerModule } from './identity/local/local-issuer.module';
import { M2mOnlyGuard } from './identity/m2m/m2m-only.guard';
import { ScopeGuard } from './identity/scope/scope.guard';
import { StepUpGuard } from './identity/step-up/step-up.guard';
import { InternalModule } from './internal/internal.module';
import { RevocationModule } from './internal/revocation/revocation.module';
import { RevocationRegistry } from './internal/revocation/revocation-registry';
import { JobsModule } from './jobs/jobs.module';
import { McpModule } from './mcp/mcp.module';
import { createLogger, loggingModule } from './observability/logging';
import { OperationsModule } from './operations/operations.module';
import { OrgScopedGuard } from './tenancy/org-scope/org-scoped.guard';
import { TenancyModule } from './tenancy/tenancy.module';

/**
 * The global guards, in the order Nest runs them: authenticate → DPoP → M2M-only → scope → step-up → org. The
 * order is the contract: the others read the principal the first one sets, a caller without a valid
 * token must get 401 before any 403 could tell it what a route requires, and a token of the wrong kind
 * on an M2M-only route is told so before any permission is named. Each guard is a no-op
 * on routes without its metadata. Nest runs global guards in registration order, so they are
 * registered here, in one list, rather than by the modules that own them (whose order would then be
 * the order of `imports` below). `useExisting` keeps one instance, built in the guard's own module.
 */
const GLOBAL_GUARDS: readonly Provider[] = [
  AuthenticationGuard,
  RequireDpopGuard,
  M2mOnlyGuard,
  ScopeGuard,
  StepUpGuard,
  OrgScopedGuard,
].map((guard) => ({ provide: APP_GUARD, useExisting: guard }));

/**
 * Binds identity's ports to the modules above it that implement them: identity defines `DECISION_SINK`
 * and must not import audit, so the app, which sees both, supplies the audit buffer. Global because a
 * lower module can only inject what it imports or what a global module exports; this module exports the
 * port tokens and nothing else. Without a binding, `AuthDecisions` (`@Optional()`) only counts.
 */
@Global()
@Module({
  imports: [AuditModule, RevocationModule, CredentialsModule],
  providers: [
    { provide: DECISION_SINK, useExisting: AuditDecisionBuffer },
    // Revocation likewise: identity asks TOKEN_REVOCATIONS, the registry of src/internal answers.
    { provide: TOKEN_REVOCATIONS, useExisting: RevocationRegistry },
    // And the agent broker's client secret: the credentials module's resolver (docs/credentials.md).
    {
      provide: BROKER_CLIENT_SECRET,
      inject: [CredentialResolver],
      useFactory: (resolver: CredentialResolver): BrokerClientSecret => ({
        resolve: () => resolver.resolve('agent_broker_client_secret'),
      }),
    },
  ],
  exports: [DECISION_SINK, TOKEN_REVOCATIONS, BROKER_CLIENT_SECRET],
})
class IdentityPortBindings {}

@Module({})
export class AppModule {
  /**
   * The whole service, for one validated configuration and one open database. Tests use the same call.
   * Core (configuration, database, Redis, metrics) and jobs are global; every feature module imports
   * the modules it uses, so the `imports` of each module are its dependencies.
   */
  static forRoot(
    config: AppConfig,
    database: DatabaseHandle,
    extra: readonly Type[] = [],
    logger: Logger = createLogger(config),
  ): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ...extra,
        CoreModule.forRoot(config, database),
        loggingModule(logger),
        JobsModule.forRoot(config),
        IdentityModule,
        // The local issuer's routes exist only under the local provider: not hidden, absent.
        ...(config.auth.provider === 'local' ? [LocalIssuerModule] : []),
        IdentityPortBindings,
        AgentDelegationModule,
        AuditModule,
        TenancyModule,
        AuditReadModule,
        McpModule,
        InternalModule,
        CredentialsModule,
        OperationsModule,
        // The edge check for the tenant router exists only when its AUTH_MODE is set (docs/edge.md).
        ...(config.edge ? [EdgeModule.forRoot(config.edge)] : []),
      ],
      providers: [...GLOBAL_GUARDS],
    };
  }
}

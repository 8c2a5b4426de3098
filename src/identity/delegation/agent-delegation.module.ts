import { Logger, Module } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { RequestError } from '../../common/errors/request-error';
import { IdentityModule } from '../identity.module';
import { SubjectTokenVerifier } from '../jwt/subject-token-verifier';
import { AGENT_TOKEN_BROKER, type AgentTokenBroker } from './agent-token-broker';
import { AgentTokenController } from './agent-token.controller';
import { IdpAgentBroker } from './idp-agent-broker';
import { LocalAgentBroker } from './local-agent-broker';

/** With the exchange disabled nothing is minted, whoever asks (the MCP tools included). */
const DISABLED: AgentTokenBroker = {
  exchange: () =>
    Promise.reject(
      new RequestError(
        'service_unavailable',
        503,
        'Agent token exchange is disabled (ALPHASWARM_AUTH_AGENT_TOKEN_EXCHANGE_ENABLED=false)',
      ),
    ),
};

/**
 * Delegated agent tokens (docs/agents-and-mcp.md): `POST /auth/agent-token` and the `AGENT_TOKEN_BROKER`
 * the MCP tools use to obtain upstream tokens. The broker is the local issuer under `local` and the
 * IdP's token endpoint under auth0/oidc.
 */
@Module({
  imports: [IdentityModule],
  controllers: [AgentTokenController],
  providers: [
    {
      provide: AGENT_TOKEN_BROKER,
      inject: [APP_CONFIG, ModuleRef, SubjectTokenVerifier],
      useFactory: (
        config: AppConfig,
        moduleRef: ModuleRef,
        verifier: SubjectTokenVerifier,
      ): AgentTokenBroker => {
        const { enabled, broker } = config.auth.agentTokenExchange;
        if (!enabled) return DISABLED;
        if (config.auth.provider === 'local') return new LocalAgentBroker(moduleRef);
        // loadConfig refuses an enabled exchange under auth0/oidc without the broker client.
        if (!broker) return DISABLED;
        return new IdpAgentBroker(broker, verifier, new Logger('AgentTokenBroker'));
      },
    },
  ],
  exports: [AGENT_TOKEN_BROKER],
})
export class AgentDelegationModule {}

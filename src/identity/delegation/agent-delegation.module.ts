import { Logger, Module } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { APP_CONFIG, type AppConfig, ConfigError, SEED_BROKER_SECRET } from '../../config/app-config';
import { RequestError } from '../../common/errors/request-error';
import { IdentityModule } from '../identity.module';
import { SubjectTokenVerifier } from '../jwt/subject-token-verifier';
import { AGENT_TOKEN_BROKER, type AgentTokenBroker } from './agent-token-broker';
import { AgentTokenController } from './agent-token.controller';
import { BROKER_CLIENT_SECRET, type BrokerClientSecret } from './broker-client-secret';
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
 * IdP's token endpoint under auth0/oidc, whose client secret comes through the BROKER_CLIENT_SECRET port.
 */
@Module({
  imports: [IdentityModule],
  controllers: [AgentTokenController],
  providers: [
    {
      provide: AGENT_TOKEN_BROKER,
      inject: [APP_CONFIG, ModuleRef, SubjectTokenVerifier, { token: BROKER_CLIENT_SECRET, optional: true }],
      useFactory: async (
        config: AppConfig,
        moduleRef: ModuleRef,
        verifier: SubjectTokenVerifier,
        clientSecret: BrokerClientSecret | undefined,
      ): Promise<AgentTokenBroker> => {
        const { enabled, broker } = config.auth.agentTokenExchange;
        if (!enabled) return DISABLED;
        if (config.auth.provider === 'local') return new LocalAgentBroker(moduleRef);
        // loadConfig refuses an enabled exchange under auth0/oidc without the broker client.
        if (!broker) return DISABLED;
        // A broker without its secret would answer every exchange with 503: refuse the boot instead.
        if (clientSecret === undefined || (await clientSecret.resolve()) === undefined) {
          throw new ConfigError(
            'ALPHASWARM_AUTH_AGENT_BROKER_CLIENT_SECRET',
            config.nodeEnv === 'production'
              ? `required with ALPHASWARM_AUTH_AGENT_TOKEN_EXCHANGE_ENABLED=true, from the encrypted store in production; seed it with ${SEED_BROKER_SECRET}`
              : `required with ALPHASWARM_AUTH_AGENT_TOKEN_EXCHANGE_ENABLED=true under ${config.auth.provider}; set the alphaswarm-agent-broker client's secret (or seed the encrypted store with ${SEED_BROKER_SECRET})`,
          );
        }
        return new IdpAgentBroker(broker, clientSecret, verifier, new Logger('AgentTokenBroker'));
      },
    },
  ],
  exports: [AGENT_TOKEN_BROKER],
})
export class AgentDelegationModule {}

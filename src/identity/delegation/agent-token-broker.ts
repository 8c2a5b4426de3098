import type { TokenResponse } from '../local/local-issuer.service';
import type { Principal } from '../principal';

/** One delegation asked of a broker: who delegates (with the token that proves it), to which agent, for what. */
export interface BrokerRequest {
  /** The human, as the service validated their token. */
  readonly subject: Principal;
  /** That token itself: sent to the IdP as the RFC 8693 subject token, never anywhere else. */
  readonly subjectToken: string;
  readonly agentSubject: string;
  /** The resource (audience) the delegated token is for. */
  readonly target: string;
  readonly requestedScopes?: readonly string[];
}

/**
 * Who mints delegated agent tokens: the local issuer under `local`, the IdP's token endpoint (called as
 * the `alphaswarm-agent-broker` client) under auth0/oidc. `POST /auth/agent-token` and the MCP tools
 * that need an upstream token both go through it.
 */
export interface AgentTokenBroker {
  exchange(request: BrokerRequest): Promise<TokenResponse>;
}

export const AGENT_TOKEN_BROKER = Symbol('AGENT_TOKEN_BROKER');

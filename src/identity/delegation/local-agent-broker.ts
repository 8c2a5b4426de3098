import type { ModuleRef } from '@nestjs/core';
import { LocalIssuer, type TokenResponse } from '../local/local-issuer.service';
import type { AgentTokenBroker, BrokerRequest } from './agent-token-broker';

/**
 * Under the local provider the service is the issuer: the subject was validated by the caller (the
 * authentication guard, or the MCP server's), so the local issuer applies the delegation rules directly.
 * The issuer lives in LocalIssuerModule, mounted only under `local`; it is looked up on first use.
 */
export class LocalAgentBroker implements AgentTokenBroker {
  private issuer?: LocalIssuer;

  constructor(private readonly moduleRef: ModuleRef) {}

  exchange(request: BrokerRequest): Promise<TokenResponse> {
    this.issuer ??= this.moduleRef.get(LocalIssuer, { strict: false });
    return this.issuer.delegate(request.subject, {
      agentSubject: request.agentSubject,
      target: request.target,
      requestedScopes: request.requestedScopes,
    });
  }
}

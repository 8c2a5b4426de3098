import { Body, Controller, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { RequestError } from '../../common/errors/request-error';
import { Authenticated } from '../authentication/route-access.decorators';
import { AuthError, OAuthError } from '../errors/auth-error';
import { readBearer } from '../jwt/bearer';
import type { TokenResponse } from '../local/local-issuer.service';
import type { AuthenticatedRequest } from '../request-context';
import { AGENT_TOKEN_BROKER, type AgentTokenBroker } from './agent-token-broker';
import { AgentTokenRequest } from './agent-token.dto';
import { agentSubjectOf, scopeList } from './delegation-rules';

/**
 * `POST /auth/agent-token`: a user exchanges their token for a delegated agent token (RFC 8693). Agent
 * tokens never reach the handler (the route does not `@AllowAgents()`); M2M tokens are refused here.
 */
@ApiTags('identity')
@Controller('auth')
export class AgentTokenController {
  private readonly enabled: boolean;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(AGENT_TOKEN_BROKER) private readonly broker: AgentTokenBroker,
  ) {
    this.enabled = config.auth.agentTokenExchange.enabled;
  }

  @Authenticated()
  @Post('agent-token')
  @HttpCode(200)
  exchange(@Req() request: AuthenticatedRequest, @Body() body: AgentTokenRequest): Promise<TokenResponse> {
    if (!this.enabled) {
      throw new RequestError(
        'not_found',
        404,
        'Agent token exchange is disabled (ALPHASWARM_AUTH_AGENT_TOKEN_EXCHANGE_ENABLED=false)',
      );
    }
    const subject = request.principal;
    if (!subject || subject.actorType !== 'user') throw new AuthError('user_token_required');
    const agentSubject = agentSubjectOf(body.agent);
    if (agentSubject === undefined) {
      throw new OAuthError(
        'invalid_request',
        'agent must be a letter or digit followed by letters, digits, _ . : - (128 characters at most)',
      );
    }
    const presented = readBearer(request.headers.authorization);
    if (presented.scheme !== 'bearer') throw new AuthError('missing_token');
    return this.broker.exchange({
      subject,
      subjectToken: presented.token,
      agentSubject,
      target: body.resource,
      requestedScopes: scopeList(body.scope),
    });
  }
}

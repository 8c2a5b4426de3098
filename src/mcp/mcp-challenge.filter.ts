import { type ArgumentsHost, Catch, type ExceptionFilter, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { AuthDecisions } from '../identity/decisions/auth-decisions';
import { ApiExceptionFilter } from '../identity/errors/api-exception.filter';
import { AuthError } from '../identity/errors/auth-error';
import { routeTemplateOf } from '../identity/request-context';
import { canonicalUriOf, MCP_SERVERS, metadataUrlOf, serverOfRoute } from './mcp-servers';

/**
 * The MCP routes' error filter: every 401 and 403 of an MCP server, whichever guard raised it, carries
 * the RFC 9728 `resource_metadata` of that server (and, on a 401, the scope it needs), as the MCP
 * authorization specification asks, so a client can discover where to get a token. The response
 * itself is written by the service's one error filter.
 */
@Catch()
@Injectable()
export class McpChallengeFilter implements ExceptionFilter {
  private readonly errors: ApiExceptionFilter;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    decisions: AuthDecisions,
  ) {
    this.errors = new ApiExceptionFilter(decisions, config);
  }

  catch(exception: unknown, host: ArgumentsHost): void {
    this.errors.catch(this.withChallenge(exception, host.switchToHttp().getRequest<FastifyRequest>()), host);
  }

  private withChallenge(exception: unknown, request: FastifyRequest): unknown {
    if (!(exception instanceof AuthError) || exception.status === 400) return exception;
    const server = serverOfRoute(routeTemplateOf(request));
    const canonicalUri = server && canonicalUriOf(this.config.mcp, server);
    if (!server || !canonicalUri) return exception;
    const challenge: Record<string, string> = {
      ...exception.challenge,
      resource_metadata: metadataUrlOf(canonicalUri),
    };
    if (exception.status === 401) challenge.scope = MCP_SERVERS[server].readScope;
    return new AuthError(exception.reason, challenge, exception.status);
  }
}

import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { RequestError } from '../../common/errors/request-error';
import { AGENT_TOKEN_BROKER, type AgentTokenBroker } from '../../identity/delegation/agent-token-broker';
import { OAuthError } from '../../identity/errors/auth-error';
import { McpToolRegistry } from '../mcp-tool-registry';
import { type ToolContext, ToolRefusal } from '../mcp-tool';

const TIMEOUT_MS = 5000;
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * A data tool backed by another service (ALPHASWARM_MCP_UPSTREAM_URL). No token passthrough: the token
 * the agent presented is addressed to this MCP server and is never forwarded. The tool obtains a token
 * of its own for the upstream's audience through token exchange, with the human as subject and the
 * agent as actor, and calls the upstream with that (docs/agents-and-mcp.md).
 */
@Injectable()
export class UpstreamTools implements OnModuleInit {
  private readonly upstream?: AppConfig['mcp']['upstream'];

  constructor(
    private readonly registry: McpToolRegistry,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(AGENT_TOKEN_BROKER) private readonly broker: AgentTokenBroker,
  ) {
    this.upstream = config.mcp.upstream;
  }

  onModuleInit(): void {
    this.registry.register({
      server: 'data',
      name: 'upstream.get_status',
      title: 'Upstream status',
      description:
        "Asks the configured upstream API (GET) for its answer about the user, with a token of the service's own.",
      permission: 'read:mcp:data',
      mutates: false,
      input: {},
      run: (context) => this.call(context),
    });
  }

  private async call(context: ToolContext): Promise<unknown> {
    const upstream = this.upstream;
    if (upstream === undefined) {
      throw new ToolRefusal('service_unavailable', 'No upstream is configured (ALPHASWARM_MCP_UPSTREAM_URL)');
    }
    const { principal } = context;
    let token: string;
    try {
      token = (
        await this.broker.exchange({
          subject: principal,
          subjectToken: context.subjectToken,
          agentSubject: principal.actor?.sub ?? '',
          target: upstream.audience,
          requestedScopes: ['read:mcp:data'],
        })
      ).access_token;
    } catch (error) {
      if (error instanceof OAuthError || error instanceof RequestError) {
        throw new ToolRefusal('upstream_error', 'No token could be obtained for the upstream');
      }
      throw error;
    }
    let response: Response;
    try {
      response = await fetch(upstream.url, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        redirect: 'error',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch {
      throw new ToolRefusal('upstream_error', 'The upstream could not be reached');
    }
    const text = await response.text().catch(() => '');
    if (!response.ok) throw new ToolRefusal('upstream_error', `The upstream answered ${response.status}`);
    if (text.length > MAX_RESPONSE_BYTES)
      throw new ToolRefusal('upstream_error', 'The upstream answer is too large');
    try {
      return { status: response.status, body: JSON.parse(text) as unknown };
    } catch {
      throw new ToolRefusal('upstream_error', 'The upstream answer is not JSON');
    }
  }
}

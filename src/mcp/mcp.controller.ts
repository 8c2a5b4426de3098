import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Options,
  Param,
  Post,
  Req,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { RequestError } from '../common/errors/request-error';
import { AllowAgents, Public } from '../identity/authentication/route-access.decorators';
import { readBearer } from '../identity/jwt/bearer';
import type { Principal } from '../identity/principal';
import { type AuthenticatedRequest, routeTemplateOf } from '../identity/request-context';
import { RequireScope } from '../identity/scope/require-scope.decorator';
import { McpChallengeFilter } from './mcp-challenge.filter';
import { httpErrorOf, McpInvocations } from './mcp-invocations';
import { dpopResourceMetadata } from '../identity/dpop/dpop-metadata';
import { McpResourceGuard } from './mcp-resource.guard';
import { canonicalUriOf, MCP_SERVERS, type McpServerName } from './mcp-servers';
import { McpStreamableHttp } from './mcp-streamable-http';
import { type ToolContext, ToolRefusal } from './mcp-tool';
import { type ActorView, type InvokeToolResponse, toolArgumentsOf } from './mcp.dto';

/**
 * The two MCP servers (docs/agents-and-mcp.md): Streamable HTTP at `/mcp/data` and `/mcp/codebase`,
 * the plain-HTTP form of a tool call, and the RFC 9728 metadata of each. Agents only: the global guards
 * check the token and the server's read scope, `McpResourceGuard` the delegation, the audience and the
 * origin, and `McpChallengeFilter` adds `resource_metadata` to every refusal.
 */
@ApiTags('mcp')
@Controller()
@UseFilters(McpChallengeFilter)
export class McpController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly streamableHttp: McpStreamableHttp,
    private readonly invocations: McpInvocations,
  ) {}

  // ── Streamable HTTP ─────────────────────────────────────────────────────────────────────────

  @Post('mcp/data')
  @RequireScope(MCP_SERVERS.data.readScope)
  @AllowAgents()
  @UseGuards(McpResourceGuard)
  data(
    @Req() request: AuthenticatedRequest,
    @Res() reply: FastifyReply,
    @Body() body: unknown,
  ): Promise<void> {
    return this.serve('data', request, reply, body);
  }

  @Post('mcp/codebase')
  @RequireScope(MCP_SERVERS.codebase.readScope)
  @AllowAgents()
  @UseGuards(McpResourceGuard)
  codebase(
    @Req() request: AuthenticatedRequest,
    @Res() reply: FastifyReply,
    @Body() body: unknown,
  ): Promise<void> {
    return this.serve('codebase', request, reply, body);
  }

  /** Stateless servers open no SSE stream and keep no session to delete (MCP Streamable HTTP). */
  @Get('mcp/data')
  @RequireScope(MCP_SERVERS.data.readScope)
  @AllowAgents()
  @UseGuards(McpResourceGuard)
  dataStream(@Res({ passthrough: true }) reply: FastifyReply): never {
    return methodNotAllowed(reply);
  }

  @Delete('mcp/data')
  @RequireScope(MCP_SERVERS.data.readScope)
  @AllowAgents()
  @UseGuards(McpResourceGuard)
  dataSession(@Res({ passthrough: true }) reply: FastifyReply): never {
    return methodNotAllowed(reply);
  }

  @Get('mcp/codebase')
  @RequireScope(MCP_SERVERS.codebase.readScope)
  @AllowAgents()
  @UseGuards(McpResourceGuard)
  codebaseStream(@Res({ passthrough: true }) reply: FastifyReply): never {
    return methodNotAllowed(reply);
  }

  @Delete('mcp/codebase')
  @RequireScope(MCP_SERVERS.codebase.readScope)
  @AllowAgents()
  @UseGuards(McpResourceGuard)
  codebaseSession(@Res({ passthrough: true }) reply: FastifyReply): never {
    return methodNotAllowed(reply);
  }

  // ── Plain HTTP ──────────────────────────────────────────────────────────────────────────────

  @Post('mcp/data/tools/:tool/invoke')
  @HttpCode(200)
  @RequireScope(MCP_SERVERS.data.readScope)
  @AllowAgents()
  @UseGuards(McpResourceGuard)
  invokeData(
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Param('tool') tool: string,
    @Body() body: unknown,
  ): Promise<InvokeToolResponse> {
    return this.invoke('data', tool, request, reply, body);
  }

  @Post('mcp/codebase/tools/:tool/invoke')
  @HttpCode(200)
  @RequireScope(MCP_SERVERS.codebase.readScope)
  @AllowAgents()
  @UseGuards(McpResourceGuard)
  invokeCodebase(
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Param('tool') tool: string,
    @Body() body: unknown,
  ): Promise<InvokeToolResponse> {
    return this.invoke('codebase', tool, request, reply, body);
  }

  // ── CORS preflight (browsers ask before sending Authorization) ─────────────────────────────

  @Public()
  @Options('mcp/data')
  @HttpCode(204)
  dataPreflight(@Req() request: AuthenticatedRequest, @Res({ passthrough: true }) reply: FastifyReply): void {
    this.preflight(request, reply);
  }

  @Public()
  @Options('mcp/codebase')
  @HttpCode(204)
  codebasePreflight(
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): void {
    this.preflight(request, reply);
  }

  @Public()
  @Options('mcp/data/tools/:tool/invoke')
  @HttpCode(204)
  invokeDataPreflight(
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): void {
    this.preflight(request, reply);
  }

  @Public()
  @Options('mcp/codebase/tools/:tool/invoke')
  @HttpCode(204)
  invokeCodebasePreflight(
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): void {
    this.preflight(request, reply);
  }

  // ── RFC 9728 protected-resource metadata ────────────────────────────────────────────────────

  @Public()
  @Get('.well-known/oauth-protected-resource/mcp/data')
  dataMetadata(): Record<string, unknown> {
    return this.metadata('data');
  }

  @Public()
  @Get('.well-known/oauth-protected-resource/mcp/codebase')
  codebaseMetadata(): Record<string, unknown> {
    return this.metadata('codebase');
  }

  private serve(
    server: McpServerName,
    request: AuthenticatedRequest,
    reply: FastifyReply,
    body: unknown,
  ): Promise<void> {
    const origin = request.headers.origin;
    return this.streamableHttp.handle(server, request, reply, body, contextOf(request), origin);
  }

  /** Allowed origins only (the Origin check of `McpResourceGuard`, which a preflight does not pass). */
  private preflight(request: AuthenticatedRequest, reply: FastifyReply): void {
    const origin = request.headers.origin;
    if (origin === undefined) return;
    if (!this.config.mcp.allowedOrigins.has(origin)) {
      throw new RequestError('origin_forbidden', 403, 'Requests from this origin are not accepted');
    }
    allowOrigin(request, reply);
    void reply
      .header('access-control-allow-methods', 'POST')
      .header(
        'access-control-allow-headers',
        'Authorization, Content-Type, Accept, Mcp-Protocol-Version, Mcp-Session-Id, Last-Event-Id',
      )
      .header('access-control-max-age', '600');
  }

  private async invoke(
    server: McpServerName,
    name: string,
    request: AuthenticatedRequest,
    reply: FastifyReply,
    body: unknown,
  ): Promise<InvokeToolResponse> {
    const args = toolArgumentsOf(body);
    const context = contextOf(request);
    allowOrigin(request, reply);
    const registered = this.invocations.authorize(server, name, context, 'invoke');
    if (!registered) throw new RequestError('not_found', 404, `The ${server} server has no such tool`);
    try {
      const result = await this.invocations.run(registered, args, context, 'invoke');
      return { tool: registered.tool.name, result, actor: actorOf(context.principal) };
    } catch (error) {
      throw error instanceof ToolRefusal ? httpErrorOf(error) : error;
    }
  }

  private metadata(server: McpServerName): Record<string, unknown> {
    const resource = canonicalUriOf(this.config.mcp, server);
    if (resource === undefined) {
      throw new RequestError('not_found', 404, `The ${server} MCP server is not configured`);
    }
    return {
      resource,
      authorization_servers: [this.config.auth.issuer],
      scopes_supported: MCP_SERVERS[server].scopes,
      bearer_methods_supported: ['header'],
      resource_name: MCP_SERVERS[server].title,
      // RFC 9728 §2: present only when the resource takes DPoP-bound tokens.
      ...(this.config.auth.dpop.enabled ? dpopResourceMetadata(this.config) : {}),
    };
  }
}

function contextOf(request: AuthenticatedRequest): ToolContext {
  const presented = readBearer(request.headers.authorization);
  return {
    principal: request.principal as Principal,
    subjectToken: presented.scheme === 'bearer' ? presented.token : '',
    requestId: String(request.id),
    ip: request.ip,
    route: routeTemplateOf(request),
  };
}

function actorOf(principal: Principal): ActorView {
  return {
    actor_type: principal.actorType,
    sub: principal.actor?.sub ?? null,
    on_behalf_of_sub: principal.actor?.onBehalfOfSub ?? principal.sub,
  };
}

/** CORS for a request whose Origin was already checked (by the guard, or by `preflight`). */
function allowOrigin(request: AuthenticatedRequest, reply: FastifyReply): void {
  const origin = request.headers.origin;
  if (origin === undefined) return;
  void reply
    .header('access-control-allow-origin', origin)
    .header('vary', 'Origin')
    .header('access-control-expose-headers', 'Mcp-Session-Id, Mcp-Protocol-Version, WWW-Authenticate');
}

function methodNotAllowed(reply: FastifyReply): never {
  void reply.header('allow', 'POST');
  throw new RequestError(
    'method_not_allowed',
    405,
    'This MCP server is stateless: POST JSON-RPC messages to it',
  );
}

import { Injectable } from '@nestjs/common';
import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv-provider.js';
import { RequestError } from '../common/errors/request-error';
import { AuthDecisions } from '../identity/decisions/auth-decisions';
import type { AuthenticatedRequest } from '../identity/request-context';
import { McpInvocations } from './mcp-invocations';
import { MCP_SERVERS, type McpServerName } from './mcp-servers';
import { type ToolContext, ToolRefusal } from './mcp-tool';
import { McpToolRegistry, type RegisteredTool } from './mcp-tool-registry';

const SERVER_VERSION = '1.0.0';

/** Headers a hijacked reply must carry itself: Fastify's hooks (request id, error shape) no longer run. */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/**
 * Serves one MCP request over Streamable HTTP with the official SDK, stateless: a new `McpServer` and
 * transport per request (docs/adr/0015-mcp-sdk-1x.md), so nothing one client sent can reach another.
 * Fastify parsed the body; the reply is hijacked and the transport writes to the raw response.
 *
 * A `tools/call` for a tool the token lacks the permission of is refused before the hijack, as an
 * HTTP 403 with the `insufficient_scope` challenge, as the MCP authorization specification's scope
 * step-up asks; every other refusal of a tool is a tool error inside the JSON-RPC result.
 */
@Injectable()
export class McpStreamableHttp {
  /**
   * One JSON Schema validator for every per-request server: the SDK otherwise builds a new Ajv (and
   * compiles its meta-schemas) per server, most of a request's cost. It holds compiled schemas only,
   * nothing of a client.
   */
  private readonly validator = new AjvJsonSchemaValidator();

  constructor(
    private readonly registry: McpToolRegistry,
    private readonly invocations: McpInvocations,
    private readonly decisions: AuthDecisions,
  ) {}

  async handle(
    server: McpServerName,
    request: AuthenticatedRequest,
    reply: FastifyReply,
    body: unknown,
    context: ToolContext,
    corsOrigin: string | undefined,
  ): Promise<void> {
    // Checked up front so the refusal is an HTTP 403 with its challenge; `authorize` audits it.
    const authorized = new Map<string, RegisteredTool>();
    for (const call of toolCallsOf(body)) {
      const registered = this.invocations.authorize(server, call.name, context, 'streamable_http');
      if (!registered) continue;
      // The SDK answers invalid arguments itself, before our callback: audit the refusal here.
      if (this.invocations.refusesArguments(registered, call.args, context, 'streamable_http')) continue;
      authorized.set(call.name, registered);
    }

    reply.hijack();
    // A hijacked reply skips Fastify's onResponse hook, where allowed decisions are counted.
    this.decisions.settle(request);
    const response = reply.raw;
    response.setHeader('x-request-id', String(request.id));
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
    if (corsOrigin !== undefined) {
      response.setHeader('access-control-allow-origin', corsOrigin);
      response.setHeader('vary', 'Origin');
      response.setHeader(
        'access-control-expose-headers',
        'Mcp-Session-Id, Mcp-Protocol-Version, WWW-Authenticate',
      );
    }

    const mcp = this.serverFor(server, context, authorized, request.log);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    response.on('close', () => {
      void transport.close();
      void mcp.close();
    });
    try {
      await mcp.connect(transport);
      await transport.handleRequest(request.raw, response, body);
    } catch (error) {
      request.log.error({ err: error }, 'MCP request failed');
      if (!response.headersSent) {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({
            jsonrpc: '2.0',
            error: { code: -32603, message: 'Internal error' },
            id: null,
          }),
        );
      }
    }
  }

  /** A server with every tool of `server`; calls go through `McpInvocations` like the plain-HTTP route. */
  private serverFor(
    server: McpServerName,
    context: ToolContext,
    authorized: ReadonlyMap<string, RegisteredTool>,
    log: FastifyBaseLogger,
  ): McpServer {
    const mcp = new McpServer(
      { name: `alphaswarm-${server}`, title: MCP_SERVERS[server].title, version: SERVER_VERSION },
      { capabilities: { tools: {} }, jsonSchemaValidator: this.validator },
    );
    for (const registered of this.registry.list(server)) {
      const { tool } = registered;
      mcp.registerTool(
        tool.name,
        {
          title: tool.title,
          description: `${tool.description} Requires ${tool.permission}.`,
          inputSchema: tool.input,
          annotations: { readOnlyHint: !tool.mutates, destructiveHint: false, openWorldHint: false },
        },
        async (args: unknown): Promise<CallToolResult> => {
          const permitted = authorized.get(tool.name);
          // Only tools named in this request's body were authorized; anything else is refused.
          if (!permitted)
            return toolError('insufficient_scope', 'The tool was not authorized for this request');
          try {
            const result = await this.invocations.run(permitted, args, context, 'streamable_http');
            return {
              content: [{ type: 'text', text: JSON.stringify(result) }],
              ...(isPlainObject(result) ? { structuredContent: result } : {}),
            };
          } catch (error) {
            if (error instanceof ToolRefusal) return toolError(error.reason, error.message);
            if (error instanceof RequestError) return toolError(error.reason, error.message);
            // Never a library's message (it may quote the database) inside a tool result.
            log.error({ err: error, tool: tool.name }, 'MCP tool failed');
            return toolError('server_error', 'The tool failed; the request id is in the logs');
          }
        },
      );
    }
    return mcp;
  }
}

function toolError(reason: string, description: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: `${reason}: ${description}` }] };
}

/** The `tools/call` requests of a JSON-RPC message (or batch): tool name and arguments. */
function toolCallsOf(body: unknown): { name: string; args: unknown }[] {
  const messages = Array.isArray(body) ? (body as unknown[]) : [body];
  const calls: { name: string; args: unknown }[] = [];
  for (const message of messages) {
    if (typeof message !== 'object' || message === null) continue;
    const { method, params } = message as { method?: unknown; params?: unknown };
    if (method !== 'tools/call' || typeof params !== 'object' || params === null) continue;
    const { name, arguments: args } = params as { name?: unknown; arguments?: unknown };
    if (typeof name === 'string') calls.push({ name, args });
  }
  return calls;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

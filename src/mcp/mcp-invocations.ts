import { Injectable } from '@nestjs/common';
import type { z } from 'zod';
import { RequestError } from '../common/errors/request-error';
import { AuthError } from '../identity/errors/auth-error';
import { McpInvocationAudit } from './mcp-invocation-audit';
import type { McpServerName } from './mcp-servers';
import { type ToolContext, ToolRefusal } from './mcp-tool';
import { McpToolRegistry, type RegisteredTool } from './mcp-tool-registry';

export type McpTransportKind = 'streamable_http' | 'invoke';

/**
 * The one path of a tool call, whichever transport carried it: find the tool, check its permission,
 * validate the arguments, run it, and audit the invocation whatever the outcome.
 */
@Injectable()
export class McpInvocations {
  constructor(
    private readonly registry: McpToolRegistry,
    private readonly audit: McpInvocationAudit,
  ) {}

  /**
   * The tool, if the principal holds its permission; a refusal is audited and thrown as
   * `insufficient_scope` (the caller adds the RFC 9728 challenge). Unknown tools are `undefined`.
   */
  authorize(
    server: McpServerName,
    name: string,
    context: ToolContext,
    transport: McpTransportKind,
  ): RegisteredTool | undefined {
    const registered = this.registry.find(server, name);
    if (!registered) return undefined;
    if (!context.principal.permissions.has(registered.tool.permission)) {
      this.audit.record(context, {
        server,
        tool: name,
        transport,
        outcome: 'deny',
        reason: 'insufficient_scope',
      });
      throw new AuthError('insufficient_scope', { scope: registered.tool.permission });
    }
    return registered;
  }

  /** Whether `args` fail the tool's schema; the refusal is audited. */
  refusesArguments(
    registered: RegisteredTool,
    args: unknown,
    context: ToolContext,
    transport: McpTransportKind,
  ): boolean {
    if (registered.validator.safeParse(args ?? {}).success) return false;
    const { server, name } = registered.tool;
    this.audit.record(context, { server, tool: name, transport, outcome: 'deny', reason: 'invalid_request' });
    return true;
  }

  /** Runs an authorized tool; a refusal is audited as a deny, a failure as a failure, then rethrown. */
  async run(
    registered: RegisteredTool,
    rawArgs: unknown,
    context: ToolContext,
    transport: McpTransportKind,
  ): Promise<unknown> {
    const { tool, validator } = registered;
    const record = (outcome: 'success' | 'deny' | 'failure', reason?: string, orgId?: string) =>
      this.audit.record(context, { server: tool.server, tool: tool.name, transport, outcome, reason, orgId });
    const parsed = validator.safeParse(rawArgs ?? {});
    if (!parsed.success) {
      record('deny', 'invalid_request');
      throw new ToolRefusal('invalid_request', describeIssues(parsed.error));
    }
    try {
      const result = await tool.run(context, parsed.data as Record<string, unknown>);
      record('success', undefined, verifiedOrgOf(parsed.data));
      return result;
    } catch (error) {
      if (error instanceof ToolRefusal) record('deny', error.reason);
      else if (error instanceof RequestError) record('deny', error.reason);
      else record('failure', 'server_error');
      throw error;
    }
  }
}

/** The org argument of a call that succeeded: the tool established the human's membership in it. */
function verifiedOrgOf(args: unknown): string | undefined {
  const orgId = (args as { org_id?: unknown }).org_id;
  return typeof orgId === 'string' ? orgId : undefined;
}

/** Names the fields that are wrong, never the values sent. */
function describeIssues(error: z.ZodError): string {
  const fields = error.issues.map((issue) => (issue.path.length > 0 ? issue.path.join('.') : '(arguments)'));
  return `Invalid tool arguments: ${[...new Set(fields)].join(', ')}`;
}

/** A tool refusal as the plain-HTTP route answers it. */
export function httpErrorOf(refusal: ToolRefusal): Error {
  switch (refusal.reason) {
    case 'org_forbidden':
      return new AuthError('org_forbidden');
    case 'not_found':
      return new RequestError('not_found', 404, refusal.message);
    case 'invalid_request':
      return new RequestError('invalid_request', 400, refusal.message);
    case 'conflict':
      return new RequestError('conflict', 409, refusal.message);
    case 'upstream_error':
      return new RequestError('upstream_error', 502, refusal.message);
    case 'service_unavailable':
      return new RequestError('service_unavailable', 503, refusal.message);
  }
}

import type { z } from 'zod';
import type { Principal } from '../identity/principal';
import type { McpServerName } from './mcp-servers';

/** What a tool knows of the call: who (the delegated principal), and where it came from. */
export interface ToolContext {
  /** The delegated principal: `sub` is the human, `actor.sub` the agent. */
  readonly principal: Principal;
  /**
   * The inbound token, for one purpose only: the subject token of an RFC 8693 exchange at the IdP. It is
   * never sent to any other service (docs/agents-and-mcp.md, "No token passthrough").
   */
  readonly subjectToken: string;
  readonly requestId: string;
  readonly ip: string;
  readonly route: string;
}

/** Why a tool refused: the same reasons, whether answered over MCP or on the plain-HTTP route. */
export type ToolRefusalReason =
  'org_forbidden' | 'not_found' | 'invalid_request' | 'conflict' | 'upstream_error' | 'service_unavailable';

/** A refusal a tool throws; never carries the caller's input or an upstream's answer. */
export class ToolRefusal extends Error {
  constructor(
    readonly reason: ToolRefusalReason,
    description: string,
  ) {
    super(description);
    this.name = 'ToolRefusal';
  }
}

/**
 * One tool of an MCP server. `permission` is checked before the tool runs (403 `insufficient_scope` with
 * the RFC 9728 challenge); the tool itself checks tenancy against the human's live memberships.
 */
export interface McpTool<Shape extends z.ZodRawShape = z.ZodRawShape> {
  readonly server: McpServerName;
  /** `<module>.<verb>`, e.g. `tenancy.list_workspaces`. */
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly permission: string;
  /** Whether the tool changes anything (advertised as MCP annotations). */
  readonly mutates: boolean;
  readonly input: Shape;
  run(context: ToolContext, args: z.infer<z.ZodObject<Shape>>): Promise<unknown>;
}

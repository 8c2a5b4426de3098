import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import type { McpServerName } from './mcp-servers';
import type { McpTool } from './mcp-tool';

/** A registered tool with its input validator built once. */
export interface RegisteredTool {
  readonly tool: McpTool;
  readonly validator: z.ZodType;
}

/**
 * The tools of both MCP servers. A module adds its tools by injecting the registry and calling
 * `register` when it initialises (see `src/mcp/tools/`); a name can be registered once per server.
 */
@Injectable()
export class McpToolRegistry {
  private readonly tools = new Map<McpServerName, Map<string, RegisteredTool>>([
    ['data', new Map()],
    ['codebase', new Map()],
  ]);

  register<Shape extends z.ZodRawShape>(tool: McpTool<Shape>): void {
    const tools = this.tools.get(tool.server) as Map<string, RegisteredTool>;
    if (tools.has(tool.name)) throw new Error(`MCP tool ${tool.server}/${tool.name} is registered twice`);
    tools.set(tool.name, {
      tool: tool,
      validator: z.object(tool.input).strict(),
    });
  }

  find(server: McpServerName, name: string): RegisteredTool | undefined {
    return this.tools.get(server)?.get(name);
  }

  list(server: McpServerName): RegisteredTool[] {
    return [...(this.tools.get(server) as Map<string, RegisteredTool>).values()];
  }
}

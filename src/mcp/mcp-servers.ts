import type { McpConfig } from '../config/app-config';

/** The two MCP servers of this service (docs/agents-and-mcp.md). */
export const MCP_SERVER_NAMES = ['data', 'codebase'] as const;
export type McpServerName = (typeof MCP_SERVER_NAMES)[number];

export interface McpServerDescriptor {
  readonly name: McpServerName;
  /** The route, relative to the service root. */
  readonly path: `/mcp/${McpServerName}`;
  /** Needed to reach the server at all; each tool names its own permission on top. */
  readonly readScope: string;
  readonly scopes: readonly string[];
  readonly title: string;
}

export const MCP_SERVERS: Readonly<Record<McpServerName, McpServerDescriptor>> = {
  data: {
    name: 'data',
    path: '/mcp/data',
    readScope: 'read:mcp:data',
    scopes: ['read:mcp:data', 'write:mcp:data'],
    title: 'AlphaSwarm Data',
  },
  codebase: {
    name: 'codebase',
    path: '/mcp/codebase',
    readScope: 'read:mcp:codebase',
    scopes: ['read:mcp:codebase', 'write:mcp:codebase'],
    title: 'AlphaSwarm Codebase',
  },
};

/** The configured canonical URI of a server (RFC 8707 resource), never one derived from a request. */
export function canonicalUriOf(config: McpConfig, server: McpServerName): string | undefined {
  return server === 'data' ? config.dataCanonicalUri : config.codebaseCanonicalUri;
}

/**
 * RFC 9728 §3.1: the metadata of `https://host/mcp/data` lives at
 * `https://host/.well-known/oauth-protected-resource/mcp/data`.
 */
export function metadataUrlOf(canonicalUri: string): string {
  const url = new URL(canonicalUri);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return `${url.origin}/.well-known/oauth-protected-resource${path}`;
}

/** Which server a route template belongs to (`/mcp/data/tools/:tool/invoke` → data). */
export function serverOfRoute(route: string): McpServerName | undefined {
  return MCP_SERVER_NAMES.find((name) => route === `/mcp/${name}` || route.startsWith(`/mcp/${name}/`));
}

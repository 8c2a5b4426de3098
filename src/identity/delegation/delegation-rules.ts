import { AGENT_NAME } from '../jwt/access-token-rules';

/** The only scopes a delegated agent token can carry (the delegation profile's allowed list). */
export const MCP_SCOPES = [
  'read:mcp:data',
  'write:mcp:data',
  'read:mcp:codebase',
  'write:mcp:codebase',
] as const;

/** The Auth0 Custom Token Exchange profile the broker uses; recorded on every MCP audit row. */
export const DELEGATION_PROFILE = 'alphaswarm-agent-delegation';

/** RFC 8693 §2.1 and §3 identifiers. */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
/**
 * The actor token type of this service: the token is the agent's subject itself (`agent|<name>`). The
 * agent is named by the client that holds the human's token, as the broker names it to Auth0; what the
 * agent may do is bounded by the human's token, never by the name.
 */
export const AGENT_TOKEN_TYPE = 'urn:alphaswarm:params:oauth:token-type:agent';

const AGENT_PREFIX = 'agent|';

/**
 * `research_lead` or `agent|research_lead` → `agent|research_lead`. Names are a letter or digit, then
 * letters, digits, `_ . : -`, at most 128 characters (docs/agents-and-mcp.md); anything else is refused.
 */
export function agentSubjectOf(name: unknown): string | undefined {
  if (typeof name !== 'string') return undefined;
  const bare = name.startsWith(AGENT_PREFIX) ? name.slice(AGENT_PREFIX.length) : name;
  return AGENT_NAME.test(bare) ? `${AGENT_PREFIX}${bare}` : undefined;
}

/** A space-separated `scope` parameter as a list; undefined when absent. */
export function scopeList(scope: string | undefined): string[] | undefined {
  if (scope === undefined) return undefined;
  return scope.split(' ').filter((item) => item !== '');
}

/**
 * requested ∩ held ∩ MCP_SCOPES, in MCP_SCOPES order. Nothing requested means everything the holder
 * may delegate. Requesting a scope the holder lacks does not earn it: it is dropped, as the Auth0
 * profile drops it.
 */
export function delegatedScopes(
  requested: readonly string[] | undefined,
  held: ReadonlySet<string>,
): string[] {
  return MCP_SCOPES.filter(
    (scope) => held.has(scope) && (requested === undefined || requested.includes(scope)),
  );
}

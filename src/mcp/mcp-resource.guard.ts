import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { RequestError } from '../common/errors/request-error';
import { AuthError } from '../identity/errors/auth-error';
import { principalOf, requestOf, routeTemplateOf } from '../identity/request-context';
import { canonicalUriOf, type McpServerName, serverOfRoute } from './mcp-servers';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * What an MCP server asks beyond a valid token with its read scope (the global guards check those):
 * - the server exists (its canonical URI is configured), else 404;
 * - DNS-rebinding protection: a browser `Origin` must be an allowed origin and `Host` an allowed host,
 *   else 403 `origin_forbidden` (a request without `Origin` is a non-browser client and passes);
 * - the token is a delegated agent token, else 403 `delegation_required`;
 * - RFC 8707: its `aud` holds this server's canonical URI (under `off` the API audience also passes),
 *   else 401 `wrong_audience`, as the MCP authorization specification asks of a mis-audienced token.
 * Refusals carry the RFC 9728 challenge through `McpChallengeFilter`.
 */
@Injectable()
export class McpResourceGuard implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const request = requestOf(context);
    const server = serverOfRoute(routeTemplateOf(request)) as McpServerName;
    const canonicalUri = canonicalUriOf(this.config.mcp, server);
    if (canonicalUri === undefined) {
      throw new RequestError('not_found', 404, `The ${server} MCP server is not configured`);
    }
    const origin = request.headers.origin;
    if (origin !== undefined && !this.config.mcp.allowedOrigins.has(origin)) {
      throw new RequestError('origin_forbidden', 403, 'Requests from this origin are not accepted');
    }
    if (!this.hostAllowed(request.headers.host)) {
      throw new RequestError('origin_forbidden', 403, 'Requests to this host are not accepted');
    }
    const principal = principalOf(context);
    if (principal.actorType !== 'agent') throw new AuthError('delegation_required');
    const audiences = principal.audiences;
    const addressed =
      audiences.includes(canonicalUri) ||
      (this.config.mcp.requireRfc8707 === 'off' && audiences.includes(this.config.auth.audience));
    if (!addressed) throw new AuthError('wrong_audience');
    return true;
  }

  private hostAllowed(host: string | undefined): boolean {
    if (host === undefined) return false;
    const lower = host.toLowerCase();
    if (this.config.mcp.allowedHosts.has(lower)) return true;
    const name = lower.startsWith('[') ? lower.slice(0, lower.indexOf(']') + 1) : lower.split(':')[0];
    return LOOPBACK_HOSTS.has(name);
  }
}

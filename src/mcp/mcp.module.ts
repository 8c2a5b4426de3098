import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { AgentDelegationModule } from '../identity/delegation/agent-delegation.module';
import { IdentityModule } from '../identity/identity.module';
import { TenancyModule } from '../tenancy/tenancy.module';
import { McpChallengeFilter } from './mcp-challenge.filter';
import { McpInvocationAudit } from './mcp-invocation-audit';
import { McpInvocations } from './mcp-invocations';
import { McpResourceGuard } from './mcp-resource.guard';
import { McpStreamableHttp } from './mcp-streamable-http';
import { McpToolRegistry } from './mcp-tool-registry';
import { McpController } from './mcp.controller';
import { CodebaseTools } from './tools/codebase-tools';
import { DataTools } from './tools/data-tools';
import { UpstreamTools } from './tools/upstream-tools';

/**
 * The Data and Codebase MCP servers for agents (docs/agents-and-mcp.md): Streamable HTTP with the
 * official SDK, the plain-HTTP invoke route, RFC 9728 metadata, one tool registry and the audit of every
 * invocation. It uses identity (decisions, the agent token broker), tenancy (the human's memberships
 * and workspaces) and audit (the ledger); nothing imports it but the app.
 */
@Module({
  imports: [IdentityModule, AgentDelegationModule, TenancyModule, AuditModule],
  controllers: [McpController],
  providers: [
    McpToolRegistry,
    McpInvocationAudit,
    McpInvocations,
    McpStreamableHttp,
    McpResourceGuard,
    McpChallengeFilter,
    DataTools,
    CodebaseTools,
    UpstreamTools,
  ],
  exports: [McpToolRegistry],
})
export class McpModule {}

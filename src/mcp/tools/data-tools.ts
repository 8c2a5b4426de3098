import { Injectable, type OnModuleInit } from '@nestjs/common';
import { z } from 'zod';
import { RequestError } from '../../common/errors/request-error';
import { QueryFailedError } from 'typeorm';
import { TenantDb } from '../../database/tenant-db';
import { MembershipsService } from '../../tenancy/memberships/memberships.service';
import { meets } from '../../tenancy/memberships/roles';
import { userIdOf } from '../../tenancy/tenancy-rows';
import { WorkspacesService } from '../../tenancy/workspaces/workspaces.service';
import { McpToolRegistry } from '../mcp-tool-registry';
import { type ToolContext, ToolRefusal } from '../mcp-tool';
import { forbidden, HumanStanding } from './human-standing';

const orgId = z.uuid().describe('Organization id; one the user this agent acts for belongs to');
const workspaceId = z.uuid().describe('Workspace id');

/**
 * The Data MCP server's own tools: who is calling, the human's workspaces, the organization's recent
 * audit events, and one mutation. Each checks the human's live memberships.
 */
@Injectable()
export class DataTools implements OnModuleInit {
  constructor(
    private readonly registry: McpToolRegistry,
    private readonly memberships: MembershipsService,
    private readonly workspaces: WorkspacesService,
    private readonly tenantDb: TenantDb,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      server: 'data',
      name: 'identity.whoami',
      title: 'Who am I',
      description: 'The agent, the user it acts for, and the scopes of its delegated token.',
      permission: 'read:mcp:data',
      mutates: false,
      input: {},
      run: ({ principal }) =>
        Promise.resolve({
          agent: principal.actor?.sub ?? null,
          on_behalf_of_sub: principal.actor?.onBehalfOfSub ?? principal.sub,
          org_id: principal.orgId ?? null,
          scopes: [...principal.permissions].sort(),
          delegation_chain: principal.actor?.chain.map((link) => link.sub) ?? [],
          expires_at: principal.expiresAt ?? null,
        }),
    });

    this.registry.register({
      server: 'data',
      name: 'tenancy.list_workspaces',
      title: 'List workspaces',
      description:
        'The workspaces of one organization of the user (org_id), or of every organization they belong to.',
      permission: 'read:mcp:data',
      mutates: false,
      input: { org_id: orgId.optional() },
      run: async (context, args) => {
        const standing = await this.standingOf(context);
        const orgIds = args.org_id === undefined ? standing.orgIds() : [args.org_id];
        if (args.org_id !== undefined) standing.requireMember(args.org_id);
        const organizations = [];
        for (const id of orgIds) {
          const page = await this.workspaces.list(id, undefined, { limit: 50 });
          organizations.push({ org_id: id, workspaces: page.items, next_cursor: page.next_cursor });
        }
        return { organizations };
      },
    });

    this.registry.register({
      server: 'data',
      name: 'tenancy.get_workspace',
      title: 'Get a workspace',
      description: 'One workspace of an organization the user belongs to.',
      permission: 'read:mcp:data',
      mutates: false,
      input: { org_id: orgId, workspace_id: workspaceId },
      run: async (context, args) => {
        (await this.standingOf(context)).requireMember(args.org_id);
        return { workspace: await this.workspaceOf(args.org_id, args.workspace_id) };
      },
    });

    this.registry.register({
      server: 'data',
      name: 'audit.recent_events',
      title: 'Recent audit events',
      description: "The organization's most recent security audit events (organization admins only).",
      permission: 'read:mcp:data',
      mutates: false,
      input: { org_id: orgId, limit: z.number().int().min(1).max(50).optional() },
      run: async (context, args) => {
        (await this.standingOf(context)).requireOrgRole(args.org_id, 'admin');
        const events = await this.tenantDb.run({ kind: 'org', orgId: args.org_id }, (db) =>
          // Raw SQL: the ledger has no entity for reads outside the /audit API, and this is one query.
          db.query<Record<string, unknown>[]>(
            `SELECT id, created_at, event_type, outcome, reason, route, user_id, actor_user_id, request_id
               FROM security_audit_events WHERE org_id = $1 ORDER BY seq DESC LIMIT $2`,
            [args.org_id, args.limit ?? 20],
          ),
        );
        return { events };
      },
    });

    this.registry.register({
      server: 'data',
      name: 'tenancy.create_project',
      title: 'Create a project',
      description: 'Creates a project in a workspace the user may write to (member or above).',
      permission: 'write:mcp:data',
      mutates: true,
      input: { org_id: orgId, workspace_id: workspaceId, name: z.string().trim().min(1).max(200) },
      run: async (context, args) => {
        const standing = await this.standingOf(context);
        standing.requireMember(args.org_id);
        const workspace = await this.workspaceOf(args.org_id, args.workspace_id);
        const role = standing.workspaceRole(args.org_id, workspace.id, workspace.team_id);
        if (!meets(role, 'member')) throw forbidden();
        const userId = (await userIdOf(this.tenantDb, context.principal.sub)) ?? null;
        const project = await this.workspaces
          .createChild(
            'project',
            {
              orgId: args.org_id,
              userId,
              role,
              clusterAdmin: false,
              actor: {
                sub: context.principal.sub,
                requestId: context.requestId,
                ip: context.ip,
                route: context.route,
              },
            },
            workspace.id,
            args.name,
          )
          .catch((error: unknown) => {
            if (
              error instanceof QueryFailedError &&
              (error.driverError as { code?: string }).code === '23505'
            ) {
              throw new ToolRefusal('conflict', 'The workspace already has a project of that name');
            }
            throw error;
          });
        return { project };
      },
    });
  }

  private async standingOf(context: ToolContext): Promise<HumanStanding> {
    return new HumanStanding(await this.memberships.listForSubject(context.principal.sub));
  }

  private async workspaceOf(org: string, workspace: string) {
    try {
      return await this.workspaces.get(org, workspace);
    } catch (error) {
      if (error instanceof RequestError && error.status === 404) {
        throw new ToolRefusal('not_found', 'No such workspace in that organization');
      }
      throw error;
    }
  }
}

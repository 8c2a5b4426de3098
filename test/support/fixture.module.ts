import { Controller, Get, Module, Param, Post } from '@nestjs/common';
import {
  AllowAgents,
  AlwaysStrict,
  Authenticated,
} from '../../src/identity/authentication/route-access.decorators';
import { CurrentPrincipal } from '../../src/identity/authentication/current-principal.decorator';
import { M2mOnly } from '../../src/identity/m2m/m2m-only.decorator';
import type { Principal } from '../../src/identity/principal';
import { RequireScope } from '../../src/identity/scope/require-scope.decorator';
import { StepUp } from '../../src/identity/step-up/step-up.decorator';
import type { OrgAccess } from '../../src/tenancy/org-scope/org-access';
import { CurrentOrg, OrgScoped } from '../../src/tenancy/org-scope/org-scoped.decorator';

/** Routes with each kind of requirement, mounted beside the service's own through the real bootstrap. */
@Controller('fixture')
export class FixtureController {
  @RequireScope('read:portfolio')
  @Get('portfolio')
  read(): { ok: true } {
    return { ok: true };
  }

  @RequireScope('write:portfolio')
  @Post('portfolio')
  write(): { ok: true } {
    return { ok: true };
  }

  @RequireScope('read:portfolio', 'read:strategy')
  @Get('both')
  both(): { ok: true } {
    return { ok: true };
  }

  @RequireScope('read:portfolio')
  @Get('items/:id')
  item(@Param('id') id: string): { id: string } {
    return { id };
  }

  @StepUp()
  @Get('step-up')
  stepUp(): { ok: true } {
    return { ok: true };
  }

  @StepUp({ maxAge: 60 })
  @Get('step-up/recent')
  recentStepUp(): { ok: true } {
    return { ok: true };
  }

  @AllowAgents()
  @StepUp()
  @Get('step-up/agents')
  agentsStepUp(): { ok: true } {
    return { ok: true };
  }

  /** Admits delegated agent tokens (as the MCP routes do) and answers who is calling, and for whom. */
  @AllowAgents()
  @Authenticated()
  @Get('agents/whoami')
  agentWhoami(@CurrentPrincipal() principal: Principal): Pick<Principal, 'actorType' | 'sub' | 'actor'> {
    return { actorType: principal.actorType, sub: principal.sub, actor: principal.actor };
  }

  /** The organization from the header or the token's claim (no route parameter). */
  @OrgScoped()
  @Get('org')
  org(@CurrentOrg() org: OrgAccess): OrgAccess {
    return org;
  }

  @OrgScoped({ minRole: 'admin' })
  @Get('org/admin')
  orgAdmin(@CurrentOrg() org: OrgAccess): OrgAccess {
    return org;
  }

  @OrgScoped({ param: 'tenant' })
  @Get('tenants/:tenant')
  namedTenant(@CurrentOrg() org: OrgAccess): OrgAccess {
    return org;
  }

  /** M2M-only as the `/_internal` routes are, outside that prefix: the decorator alone makes it strict. */
  @M2mOnly((config) => config.auth.internalClientIds)
  @RequireScope('sync:users')
  @Get('m2m')
  m2m(@CurrentPrincipal() principal: Principal): Pick<Principal, 'clientId'> {
    return { clientId: principal.clientId };
  }

  @AlwaysStrict()
  @Authenticated()
  @Get('strict')
  strict(): { ok: true } {
    return { ok: true };
  }
}

/** Plain authenticated reads under the prefixes that are always strict, whatever the decorators say. */
@Controller('_internal/fixture')
export class InternalFixtureController {
  @Authenticated()
  @Get()
  read(): { ok: true } {
    return { ok: true };
  }
}

@Controller('mcp/fixture')
export class McpFixtureController {
  @Authenticated()
  @Get()
  read(): { ok: true } {
    return { ok: true };
  }
}

@Module({ controllers: [FixtureController, InternalFixtureController, McpFixtureController] })
export class FixtureModule {}

import { Controller, Get, HttpCode, Module, Post } from '@nestjs/common';
import { Public } from '../src/identity/authentication/route-access.decorators';
import { RequireScope } from '../src/identity/scope/require-scope.decorator';
import { OrgScoped } from '../src/tenancy/org-scope/org-scoped.decorator';

/**
 * Routes that do nothing, so the bench measures the request path and the guards, not a handler.
 * Mounted beside the service's own routes through the real bootstrap (`startApp`'s `extra`).
 */
@Controller('bench')
export class BenchController {
  @Public()
  @Get('public')
  open(): { ok: true } {
    return { ok: true };
  }

  @RequireScope('read:portfolio')
  @Get('scoped')
  scoped(): { ok: true } {
    return { ok: true };
  }

  /** (b) as a POST with a small JSON body, the shape of an MCP call: what reading a body costs. */
  @RequireScope('read:portfolio')
  @Post('scoped')
  @HttpCode(200)
  scopedPost(): { ok: true } {
    return { ok: true };
  }

  /** The same, inside one organization: the price of `@OrgScoped` with a warm membership cache. */
  @RequireScope('read:portfolio')
  @OrgScoped()
  @Get('orgs/:orgId/scoped')
  orgScoped(): { ok: true } {
    return { ok: true };
  }
}

@Module({ controllers: [BenchController] })
export class BenchModule {}

import { Controller, Get, Module, Param, Post } from '@nestjs/common';
import { AlwaysStrict, Authenticated } from '../../src/identity/authentication/route-access.decorators';
import { RequireScope } from '../../src/identity/scope/require-scope.decorator';

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

  @AlwaysStrict()
  @Authenticated()
  @Get('strict')
  strict(): { ok: true } {
    return { ok: true };
  }
}

@Module({ controllers: [FixtureController] })
export class FixtureModule {}

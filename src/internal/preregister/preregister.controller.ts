import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { M2mOnly } from '../../identity/m2m/m2m-only.decorator';
import { CurrentActor } from '../../tenancy/org-scope/change-actor';
import type { ChangeActor } from '../../tenancy/org-scope/org-access';
import { PreregisterCheckBody, type PreregisterDecision } from './preregister.dto';
import { PreregisterService } from './preregister.service';

/**
 * Called by the pre-user-registration Action. A refusal is a decision, answered 200 `{ allowed: false,
 * reason }`, so the Action can tell "refused" from "the service failed" (docs/auth0.md).
 */
@ApiTags('internal')
@ApiBearerAuth()
@Controller('_internal/auth')
export class PreregisterController {
  constructor(private readonly preregister: PreregisterService) {}

  @M2mOnly((config) => config.auth.internalClientIds)
  @Post('preregister-check')
  @HttpCode(200)
  check(
    @CurrentActor() actor: ChangeActor,
    @Body() body: PreregisterCheckBody,
  ): Promise<PreregisterDecision> {
    return this.preregister.check(actor, body);
  }
}

import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { M2mOnly } from '../../identity/m2m/m2m-only.decorator';
import { CurrentActor } from '../../tenancy/org-scope/change-actor';
import type { ChangeActor } from '../../tenancy/org-scope/org-access';
import { Auth0SyncBody, type SyncClaims } from './auth0-sync.dto';
import { Auth0SyncService } from './auth0-sync.service';

/** Called by the post-login Action on every login (docs/auth0.md). */
@ApiTags('internal')
@ApiBearerAuth()
@Controller('_internal/auth0')
export class Auth0SyncController {
  constructor(private readonly sync: Auth0SyncService) {}

  @M2mOnly((config) => config.auth.internalClientIds)
  @Post('sync')
  @HttpCode(200)
  upsert(@CurrentActor() actor: ChangeActor, @Body() body: Auth0SyncBody): Promise<SyncClaims> {
    return this.sync.sync(actor, body);
  }
}

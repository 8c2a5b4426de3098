import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { M2mOnly } from '../../identity/m2m/m2m-only.decorator';
import { CurrentActor } from '../../tenancy/org-scope/change-actor';
import type { ChangeActor } from '../../tenancy/org-scope/org-access';
import { type GroupSyncResult, SyncGroupsBody } from './idp-groups.dto';
import { IdpGroupSyncService } from './idp-group-sync.service';

/** Called by the IdP group sync Action at each login through an enterprise connection (docs/auth0.md). */
@ApiTags('internal')
@ApiBearerAuth()
@Controller('_internal/idp')
export class IdpGroupsController {
  constructor(private readonly groups: IdpGroupSyncService) {}

  @M2mOnly((config) => config.auth.internalClientIds)
  @Post('sync-groups')
  @HttpCode(200)
  sync(@CurrentActor() actor: ChangeActor, @Body() body: SyncGroupsBody): Promise<GroupSyncResult> {
    return this.groups.sync(actor, body);
  }
}

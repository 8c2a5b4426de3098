import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { SYSTEM_SCOPE, TenantDb } from '../database/tenant-db';
import { LOCAL_DEFAULTS } from '../identity/local/local-defaults';
import type { EntityTarget, ObjectLiteral } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { Membership } from './memberships/membership.entity';
import { Organization } from './organizations/organization.entity';
import { User } from './users/user.entity';
import { Workspace } from './workspaces/workspace.entity';

/**
 * Seeds the local-default user, organization and workspace under the local provider. Idempotent (fixed
 * ids, ON CONFLICT DO NOTHING), so restarts and several instances booting together are harmless.
 */
@Injectable()
export class LocalDefaultsSeeder implements OnApplicationBootstrap {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tenantDb: TenantDb,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.auth.provider !== 'local') return;
    const d = LOCAL_DEFAULTS;
    await this.tenantDb.run(SYSTEM_SCOPE, async (tx) => {
      const seed = async <E extends ObjectLiteral>(
        entity: EntityTarget<E>,
        row: QueryDeepPartialEntity<E>,
      ) => {
        await tx
          .createQueryBuilder()
          .insert()
          .into(entity)
          .values(row)
          .orIgnore()
          .updateEntity(false)
          .execute();
      };
      await seed(Organization, { id: d.orgId, kind: 'personal', name: d.orgName });
      await seed(Workspace, { id: d.workspaceId, orgId: d.orgId, name: d.workspaceName });
      await seed(User, { id: d.userId, sub: d.sub, email: d.email });
      await seed(Membership, {
        userId: d.userId,
        orgId: d.orgId,
        scopeKind: 'organization',
        scopeId: d.orgId,
        role: 'owner',
        source: 'manual',
      });
    });
  }
}

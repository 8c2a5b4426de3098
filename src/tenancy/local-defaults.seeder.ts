import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { SYSTEM_SCOPE, TenantDb } from '../database/tenant-db';
import { LOCAL_DEFAULTS } from '../identity/local/local-defaults';

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
      await tx.query(
        `INSERT INTO organizations (id, kind, name) VALUES ($1, 'personal', $2) ON CONFLICT DO NOTHING`,
        [d.orgId, d.orgName],
      );
      await tx.query(`INSERT INTO workspaces (id, org_id, name) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [
        d.workspaceId,
        d.orgId,
        d.workspaceName,
      ]);
      await tx.query(`INSERT INTO users (id, sub, email) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [
        d.userId,
        d.sub,
        d.email,
      ]);
      await tx.query(
        `INSERT INTO memberships (user_id, org_id, scope_kind, scope_id, role, source)
         VALUES ($1, $2, 'organization', $2, 'owner', 'manual') ON CONFLICT DO NOTHING`,
        [d.userId, d.orgId],
      );
    });
  }
}

import { SCHEMA } from '../../src/schema';
import { schemaDataSource, scratchDatabase } from '../support/db';

describe('migrations', () => {
  it('apply on an empty database, revert with down(), and apply again', async () => {
    const db = await scratchDatabase();
    const dataSource = schemaDataSource(db.url);
    await dataSource.initialize();
    try {
      const tables = async () =>
        (
          await dataSource.query<{ tablename: string }[]>(
            `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'typeorm_migrations' ORDER BY 1`,
          )
        ).map((row) => row.tablename);

      await dataSource.runMigrations({ transaction: 'each' });
      expect(await tables()).toEqual([
        'auth0_log_events',
        'broker_credentials',
        'idp_connections',
        'idp_group_mappings',
        'invites',
        'labs',
        'local_signing_keys',
        'memberships',
        'oauth_authorizations',
        'oauth_connections',
        'oidc_logout_token_jtis',
        'organizations',
        'projects',
        'security_audit_chain_heads',
        'security_audit_checkpoints',
        'security_audit_events',
        'service_secrets',
        'teams',
        'token_revocations',
        'users',
        'workspaces',
      ]);

      for (let i = 0; i < SCHEMA.migrations.length; i += 1)
        await dataSource.undoLastMigration({ transaction: 'each' });
      expect(await tables()).toEqual([]);

      await dataSource.runMigrations({ transaction: 'each' });
      expect(await tables()).toHaveLength(21);
      expect(await dataSource.showMigrations()).toBe(false); // nothing pending

      // What `typeorm migration:generate` would write: nothing, or the entities drifted from the migrations.
      const drift = await dataSource.driver.createSchemaBuilder().log();
      expect(drift.upQueries.map((query) => query.query)).toEqual([]);
    } finally {
      await dataSource.destroy();
      await db.drop();
    }
  });
});

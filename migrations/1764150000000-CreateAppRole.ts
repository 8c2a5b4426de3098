import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The tables the service reads and writes as `alphaswarm_app` at this point of the schema. */
const APP_TABLES = ['local_signing_keys', 'organizations', 'workspaces', 'users', 'memberships'];

/**
 * `alphaswarm_app`: the role every transaction of the service runs as (`SET LOCAL ROLE`, see
 * `TenantDb`). It has no login, no BYPASSRLS and no ownership, so row-level policies and the
 * per-table grants (e.g. an append-only ledger) bind it even when the service connects as the owner.
 * Roles are cluster-wide: the role is created once, shared by every database of the cluster, and left
 * in place by `down()` (other databases may use it).
 */
export class CreateAppRole1764150000000 implements MigrationInterface {
  name = 'CreateAppRole1764150000000';

  async up(db: QueryRunner): Promise<void> {
    // Two databases migrating at once may both try to create it: whoever loses the race finds it there.
    await db.query(`
      DO $$ BEGIN
        CREATE ROLE alphaswarm_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT;
      EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
      END $$`);
    // A non-superuser owner needs membership to SET ROLE into it; a superuser has it implicitly.
    await db.query(`
      DO $$ BEGIN
        IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
          EXECUTE format('GRANT alphaswarm_app TO %I', current_user);
        END IF;
      END $$`);
    await db.query(`GRANT USAGE ON SCHEMA public TO alphaswarm_app`);
    await db.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${APP_TABLES.join(', ')} TO alphaswarm_app`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`REVOKE ALL ON ${APP_TABLES.join(', ')} FROM alphaswarm_app`);
    await db.query(`REVOKE USAGE ON SCHEMA public FROM alphaswarm_app`);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the Auth0 JIT sync (`POST /_internal/auth0/sync`) needs from the tenancy tables:
 * - `organizations.personal_owner_id`: the user a personal organization was created for. Unique, so
 *   concurrent first logins of one user race to one organization through `INSERT … ON CONFLICT`
 *   instead of a read-then-write that two transactions could both pass.
 * - `users.last_connection` / `users.last_login_at`: which Auth0 connection (which IdP) drove the
 *   user's latest login, and when.
 */
export class AddAuth0Sync1764500000000 implements MigrationInterface {
  name = 'AddAuth0Sync1764500000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE organizations ADD COLUMN personal_owner_id uuid,
        ADD CONSTRAINT uq_organizations_personal_owner_id UNIQUE (personal_owner_id),
        ADD CONSTRAINT fk_organizations_personal_owner FOREIGN KEY (personal_owner_id)
          REFERENCES users (id) ON DELETE SET NULL`);
    await db.query(`ALTER TABLE users ADD COLUMN last_connection text, ADD COLUMN last_login_at timestamptz`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE users DROP COLUMN last_login_at, DROP COLUMN last_connection`);
    await db.query(`ALTER TABLE organizations DROP COLUMN personal_owner_id`);
  }
}

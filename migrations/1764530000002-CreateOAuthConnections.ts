import type { MigrationInterface, QueryRunner } from 'typeorm';

// The row-level settings TenantDb makes (see 1764200000000-CreateTenancy.ts).
const SYSTEM = `current_setting('alphaswarm.scope', true) = 'system'`;
const USER = `nullif(current_setting('alphaswarm.user_id', true), '')::uuid`;

/**
 * Per-user OAuth connections and the connections being started (docs/credentials.md): tokens and PKCE
 * verifiers envelope-encrypted; row-level security by user, so one person never reads another's.
 */
export class CreateOAuthConnections1764530000002 implements MigrationInterface {
  name = 'CreateOAuthConnections1764530000002';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE oauth_connections (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL,
        provider text NOT NULL,
        account text,
        scopes text NOT NULL,
        expires_at timestamptz,
        fingerprint text NOT NULL,
        kek_id text NOT NULL,
        wrapped_key bytea NOT NULL,
        ciphertext bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_oauth_connections PRIMARY KEY (id),
        CONSTRAINT uq_oauth_connections_user_provider UNIQUE (user_id, provider),
        CONSTRAINT fk_oauth_connections_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
      )`);
    await db.query(`CREATE INDEX ix_oauth_connections_kek ON oauth_connections (kek_id)`);
    await db.query(`
      CREATE TABLE oauth_authorizations (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL,
        provider text NOT NULL,
        state_hash text NOT NULL,
        kek_id text NOT NULL,
        wrapped_key bytea NOT NULL,
        ciphertext bytea NOT NULL,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_oauth_authorizations PRIMARY KEY (id),
        CONSTRAINT uq_oauth_authorizations_state UNIQUE (state_hash),
        CONSTRAINT fk_oauth_authorizations_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
      )`);
    for (const table of ['oauth_connections', 'oauth_authorizations']) {
      await db.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${table} TO alphaswarm_app`);
      await db.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      await db.query(`CREATE POLICY user_isolation ON ${table} USING (${SYSTEM} OR user_id = ${USER})`);
    }
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE oauth_authorizations`);
    await db.query(`DROP TABLE oauth_connections`);
  }
}

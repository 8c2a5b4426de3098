import type { MigrationInterface, QueryRunner } from 'typeorm';

// The row-level settings TenantDb makes (see 1764200000000-CreateTenancy.ts).
const SYSTEM = `current_setting('alphaswarm.scope', true) = 'system'`;
const ORG = `nullif(current_setting('alphaswarm.org_id', true), '')::uuid`;

/**
 * Broker credentials (BYOK) per organization, envelope-encrypted (docs/credentials.md): only the wrapped
 * data key and the ciphertext are stored, never a plaintext secret. Row-level security by organization.
 */
export class CreateBrokerCredentials1764530000000 implements MigrationInterface {
  name = 'CreateBrokerCredentials1764530000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE broker_credentials (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL,
        name text NOT NULL,
        kind text NOT NULL,
        environment text,
        metadata jsonb NOT NULL,
        fingerprint text NOT NULL,
        last_four text NOT NULL,
        kek_id text NOT NULL,
        wrapped_key bytea NOT NULL,
        ciphertext bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_broker_credentials PRIMARY KEY (id),
        CONSTRAINT uq_broker_credentials_org_name UNIQUE (org_id, name),
        CONSTRAINT fk_broker_credentials_org FOREIGN KEY (org_id) REFERENCES organizations (id) ON DELETE CASCADE,
        CONSTRAINT ck_broker_credentials_kind CHECK (kind IN ('alpaca', 'generic')),
        CONSTRAINT ck_broker_credentials_environment CHECK ((kind = 'alpaca' AND environment IN ('paper', 'live')) OR (kind <> 'alpaca' AND environment IS NULL))
      )`);
    // Key rotation finds the rows still wrapped under a retiring key.
    await db.query(`CREATE INDEX ix_broker_credentials_kek ON broker_credentials (kek_id)`);
    await db.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON broker_credentials TO alphaswarm_app`);
    await db.query(`ALTER TABLE broker_credentials ENABLE ROW LEVEL SECURITY`);
    await db.query(
      `CREATE POLICY tenant_isolation ON broker_credentials USING (${SYSTEM} OR org_id = ${ORG})`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE broker_credentials`);
  }
}

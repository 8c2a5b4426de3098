import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The service's own secrets (the Auth0 Management API client secret, the agent-broker client secret),
 * envelope-encrypted, for CredentialResolver in production (docs/credentials.md). No tenant owns them:
 * no row-level policy, and the app role may read them but only the operator's seeding command writes.
 */
export class CreateServiceSecrets1764530000001 implements MigrationInterface {
  name = 'CreateServiceSecrets1764530000001';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE service_secrets (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        name text NOT NULL,
        fingerprint text NOT NULL,
        last_four text NOT NULL,
        kek_id text NOT NULL,
        wrapped_key bytea NOT NULL,
        ciphertext bytea NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_service_secrets PRIMARY KEY (id),
        CONSTRAINT uq_service_secrets_name UNIQUE (name)
      )`);
    // Key rotation (which runs as the app role) re-wraps the data key in place.
    await db.query(`GRANT SELECT, UPDATE (kek_id, wrapped_key) ON service_secrets TO alphaswarm_app`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE service_secrets`);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

const TABLES = ['token_revocations', 'auth0_log_events', 'oidc_logout_token_jtis'];

/**
 * Revocation that holds on every instance (docs/revocation.md):
 * - `token_revocations`: "tokens of this subject issued at or before `revoked_before` are refused", one
 *   row per subject, moved only forward. Every instance loads it at boot and keeps it in memory.
 * - `auth0_log_events`: each Auth0 log-stream event stored once, by `log_id` (durable dedupe across
 *   redeliveries); `processed_at` stays null on a revocation-class event until its cleanup has run, and
 *   `dispatched_at` says when its job was last queued, so an event whose job was lost (the queue was
 *   away) is queued again.
 * - `oidc_logout_token_jtis`: the `jti` of every accepted back-channel logout token until it expires,
 *   so a replayed logout token is refused on any instance.
 * None of them is a tenant table: they are read and written in system-scoped transactions.
 */
export class CreateTokenRevocations1764510000000 implements MigrationInterface {
  name = 'CreateTokenRevocations1764510000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE token_revocations (
        subject text NOT NULL,
        revoked_before timestamptz NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_token_revocations PRIMARY KEY (subject)
      )`);
    await db.query(`
      CREATE TABLE auth0_log_events (
        log_id text NOT NULL,
        event_type text NOT NULL,
        subject text,
        occurred_at timestamptz NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        revokes boolean NOT NULL,
        dispatched_at timestamptz,
        processed_at timestamptz,
        CONSTRAINT pk_auth0_log_events PRIMARY KEY (log_id)
      )`);
    await db.query(
      `CREATE INDEX ix_auth0_log_events_pending ON auth0_log_events (dispatched_at) WHERE revokes AND processed_at IS NULL`,
    );
    await db.query(`
      CREATE TABLE oidc_logout_token_jtis (
        jti text NOT NULL,
        expires_at timestamptz NOT NULL,
        CONSTRAINT pk_oidc_logout_token_jtis PRIMARY KEY (jti)
      )`);
    await db.query(`CREATE INDEX ix_oidc_logout_token_jtis_expires ON oidc_logout_token_jtis (expires_at)`);
    await db.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${TABLES.join(', ')} TO alphaswarm_app`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE oidc_logout_token_jtis`);
    await db.query(`DROP TABLE auth0_log_events`);
    await db.query(`DROP TABLE token_revocations`);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The chain of events that belong to no organization is keyed by the nil UUID (no org may have it). */
const NO_ORG = `'00000000-0000-0000-0000-000000000000'::uuid`;

/*
 * Row-level policies for alphaswarm_app, on the settings TenantDb makes (as the tenant tables in
 * …-CreateTenancy.ts): a `system` transaction sees every chain; one scoped to an organization reads only
 * that organization's rows. Appending is also allowed to transactions scoped to no organization (a
 * user-scoped tenancy change still records its event), but never into another organization's chain.
 * Under ALPHASWARM_TENANCY_RLS_ENFORCE=off every transaction is `system`.
 */
const SYSTEM = `current_setting('alphaswarm.scope', true) = 'system'`;
const ORG = `nullif(current_setting('alphaswarm.org_id', true), '')::uuid`;
const READ_ROWS = `${SYSTEM} OR org_id = ${ORG}`;
const APPEND_ROWS = `${SYSTEM} OR org_id = ${ORG} OR ${ORG} IS NULL`;
const TABLES = ['security_audit_events', 'security_audit_chain_heads', 'security_audit_checkpoints'];

/**
 * The security audit ledger (docs/audit-ledger.md): append-only, one SHA-256 hash chain per organization (and one for
 * events without an organization), a head row per chain that serialises its writers, and the checkpoints
 * the retention purge leaves so that what remains still verifies.
 *
 * Grants make "append-only" a property of the database, not of the code:
 * - `alphaswarm_app` (every transaction of the service) may INSERT and SELECT events, never UPDATE or
 *   DELETE them; it moves the chain heads; it may only read checkpoints.
 * - `alphaswarm_audit_maintenance` (the retention job, `SET LOCAL ROLE`) alone may DELETE events, and
 *   only records checkpoints; it cannot UPDATE an event either.
 *
 * `org_id` has no foreign key to `organizations` on purpose: a key would either block deleting an
 * organization or cascade-delete its audit trail, and the ledger must outlive the organization.
 * Roles are cluster-wide: created once (whoever loses a concurrent creation finds it there) and left in
 * place by `down()`, like `alphaswarm_app`.
 */
export class CreateSecurityAuditLedger1764400000000 implements MigrationInterface {
  name = 'CreateSecurityAuditLedger1764400000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      DO $$ BEGIN
        CREATE ROLE alphaswarm_audit_maintenance NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT;
      EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
      END $$`);
    // A non-superuser owner needs membership to SET ROLE into it; a superuser has it implicitly.
    await db.query(`
      DO $$ BEGIN
        IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
          EXECUTE format('GRANT alphaswarm_audit_maintenance TO %I', current_user);
        END IF;
      END $$`);
    await db.query(`GRANT USAGE ON SCHEMA public TO alphaswarm_audit_maintenance`);

    await db.query(`
      CREATE TABLE security_audit_events (
        id uuid NOT NULL,
        chain_id uuid GENERATED ALWAYS AS (coalesce(org_id, ${NO_ORG})) STORED,
        seq bigint NOT NULL,
        created_at timestamptz NOT NULL,
        org_id uuid,
        user_id text,
        actor_user_id text,
        event_type text NOT NULL,
        outcome text NOT NULL,
        reason text,
        route text,
        ip text,
        request_id text,
        details jsonb NOT NULL,
        prev_hash text NOT NULL,
        hash text NOT NULL,
        CONSTRAINT pk_security_audit_events PRIMARY KEY (id),
        CONSTRAINT uq_security_audit_events_chain_seq UNIQUE (chain_id, seq),
        CONSTRAINT ck_security_audit_events_seq CHECK (seq > 0),
        CONSTRAINT ck_security_audit_events_org CHECK (org_id <> ${NO_ORG}),
        CONSTRAINT ck_security_audit_events_outcome CHECK (outcome IN ('success', 'failure', 'deny', 'would_deny')),
        CONSTRAINT ck_security_audit_events_hashes CHECK (hash ~ '^[0-9a-f]{64}$' AND prev_hash ~ '^[0-9a-f]{64}$')
      )`);
    // Reading filters by time and by user within one organization; retention finds its boundary by time.
    await db.query(
      `CREATE INDEX ix_security_audit_events_chain_created ON security_audit_events (chain_id, created_at)`,
    );
    await db.query(
      `CREATE INDEX ix_security_audit_events_chain_user ON security_audit_events (chain_id, user_id, seq)`,
    );

    await db.query(`
      CREATE TABLE security_audit_chain_heads (
        chain_id uuid NOT NULL,
        org_id uuid,
        seq bigint NOT NULL,
        hash text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_security_audit_chain_heads PRIMARY KEY (chain_id),
        CONSTRAINT ck_security_audit_chain_heads_chain CHECK (chain_id = coalesce(org_id, ${NO_ORG}))
      )`);

    await db.query(`
      CREATE TABLE security_audit_checkpoints (
        chain_id uuid NOT NULL,
        org_id uuid,
        seq bigint NOT NULL,
        hash text NOT NULL,
        purged_rows bigint NOT NULL,
        created_at timestamptz NOT NULL,
        CONSTRAINT pk_security_audit_checkpoints PRIMARY KEY (chain_id, seq),
        CONSTRAINT ck_security_audit_checkpoints_chain CHECK (chain_id = coalesce(org_id, ${NO_ORG}))
      )`);

    for (const table of TABLES) {
      await db.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
      // The purge works across every organization; its grants, not a policy, bound what it may do.
      await db.query(
        `CREATE POLICY audit_maintenance ON ${table} TO alphaswarm_audit_maintenance USING (true)`,
      );
    }
    await db.query(
      `CREATE POLICY tenant_isolation ON security_audit_events FOR SELECT TO alphaswarm_app USING (${READ_ROWS})`,
    );
    await db.query(
      `CREATE POLICY tenant_append ON security_audit_events FOR INSERT TO alphaswarm_app WITH CHECK (${APPEND_ROWS})`,
    );
    // Appending upserts the head (INSERT … ON CONFLICT DO UPDATE reads the existing row): the same rule.
    await db.query(
      `CREATE POLICY tenant_append ON security_audit_chain_heads TO alphaswarm_app USING (${APPEND_ROWS}) WITH CHECK (${APPEND_ROWS})`,
    );
    await db.query(
      `CREATE POLICY tenant_isolation ON security_audit_checkpoints FOR SELECT TO alphaswarm_app USING (${READ_ROWS})`,
    );

    await db.query(`GRANT SELECT, INSERT ON security_audit_events TO alphaswarm_app`);
    await db.query(`GRANT SELECT, INSERT, UPDATE ON security_audit_chain_heads TO alphaswarm_app`);
    await db.query(`GRANT SELECT ON security_audit_checkpoints TO alphaswarm_app`);
    await db.query(`GRANT SELECT, DELETE ON security_audit_events TO alphaswarm_audit_maintenance`);
    await db.query(`GRANT SELECT ON security_audit_chain_heads TO alphaswarm_audit_maintenance`);
    await db.query(`GRANT SELECT, INSERT ON security_audit_checkpoints TO alphaswarm_audit_maintenance`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE security_audit_checkpoints`);
    await db.query(`DROP TABLE security_audit_chain_heads`);
    await db.query(`DROP TABLE security_audit_events`);
    await db.query(`REVOKE USAGE ON SCHEMA public FROM alphaswarm_audit_maintenance`);
  }
}

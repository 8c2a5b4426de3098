import type { MigrationInterface, QueryRunner } from 'typeorm';
// The role lattice as it was when this migration was written; a change to it needs a new migration.
import { roleCheck } from '../src/tenancy/memberships/roles';

/** The local issuer's keys and the core of the tenancy model (organizations, workspaces, users, memberships). */
export class CreateIdentityCore1764064800000 implements MigrationInterface {
  name = 'CreateIdentityCore1764064800000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE local_signing_keys (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        kid text NOT NULL,
        alg text NOT NULL,
        public_jwk jsonb NOT NULL,
        private_jwk jsonb NOT NULL,
        active boolean NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_local_signing_keys PRIMARY KEY (id),
        CONSTRAINT uq_local_signing_keys_kid UNIQUE (kid)
      )`);
    await db.query(
      `CREATE UNIQUE INDEX uq_local_signing_keys_one_active ON local_signing_keys (active) WHERE active`,
    );
    await db.query(`
      CREATE TABLE organizations (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        kind text NOT NULL,
        name text NOT NULL,
        auth0_org_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_organizations PRIMARY KEY (id),
        CONSTRAINT uq_organizations_auth0_org_id UNIQUE (auth0_org_id),
        CONSTRAINT ck_organizations_kind CHECK (kind IN ('personal', 'institutional'))
      )`);
    await db.query(`
      CREATE TABLE workspaces (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL,
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_workspaces PRIMARY KEY (id),
        CONSTRAINT uq_workspaces_org_name UNIQUE (org_id, name),
        CONSTRAINT fk_workspaces_org FOREIGN KEY (org_id) REFERENCES organizations (id) ON DELETE CASCADE
      )`);
    await db.query(`
      CREATE TABLE users (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        sub text NOT NULL,
        email text,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_users PRIMARY KEY (id),
        CONSTRAINT uq_users_sub UNIQUE (sub)
      )`);
    await db.query(`
      CREATE TABLE memberships (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL,
        org_id uuid NOT NULL,
        scope_kind text NOT NULL,
        scope_id uuid NOT NULL,
        role text NOT NULL,
        source text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_memberships PRIMARY KEY (id),
        CONSTRAINT uq_memberships_user_scope UNIQUE (user_id, scope_kind, scope_id),
        CONSTRAINT fk_memberships_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
        CONSTRAINT fk_memberships_org FOREIGN KEY (org_id) REFERENCES organizations (id) ON DELETE CASCADE,
        CONSTRAINT ck_memberships_scope_kind CHECK (scope_kind IN ('organization', 'team', 'workspace', 'project', 'lab')),
        CONSTRAINT ck_memberships_role CHECK (${roleCheck('role')}),
        CONSTRAINT ck_memberships_source CHECK (source IN ('manual', 'invite', 'idp_group', 'jit'))
      )`);
    await db.query(`CREATE INDEX ix_memberships_org ON memberships (org_id)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE memberships`);
    await db.query(`DROP TABLE users`);
    await db.query(`DROP TABLE workspaces`);
    await db.query(`DROP TABLE organizations`);
    await db.query(`DROP TABLE local_signing_keys`);
  }
}

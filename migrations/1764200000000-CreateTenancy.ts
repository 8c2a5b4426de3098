import type { MigrationInterface, QueryRunner } from 'typeorm';
// The role lattice as it was when this migration was written; a change to it needs a new migration.
import { roleCheck } from '../src/tenancy/memberships/roles';

const SCOPE_KINDS = `'organization', 'team', 'workspace', 'project', 'lab'`;
const IDP_KINDS = `'entra', 'google_workspace', 'aws_iam_identity_center', 'okta', 'onelogin', 'jumpcloud', 'generic_saml', 'generic_oidc'`;

/*
 * Row-level policies. Each transaction of the service runs as alphaswarm_app with settings made by
 * TenantDb: `alphaswarm.scope = 'system'` (ALPHASWARM_TENANCY_RLS_ENFORCE=off, or work no tenant owns)
 * passes everything; otherwise a row is visible only to its own organization (`alphaswarm.org_id`),
 * and, when `alphaswarm.workspace_id` is set, workspace rows only to their own workspace. Unset
 * settings match nothing, so a transaction that forgot to name its tenant sees no rows.
 */
const SYSTEM = `current_setting('alphaswarm.scope', true) = 'system'`;
const ORG = `nullif(current_setting('alphaswarm.org_id', true), '')::uuid`;
const WORKSPACE = `nullif(current_setting('alphaswarm.workspace_id', true), '')::uuid`;
const USER = `nullif(current_setting('alphaswarm.user_id', true), '')::uuid`;

const ORG_TABLES = ['teams', 'idp_connections', 'idp_group_mappings', 'invites'];
const WORKSPACE_TABLES = ['projects', 'labs'];
const RLS_TABLES = ['organizations', 'memberships', 'workspaces', ...ORG_TABLES, ...WORKSPACE_TABLES];

/** Teams, projects, labs, enterprise IdP connections, group mappings and invites; row-level security. */
export class CreateTenancy1764200000000 implements MigrationInterface {
  name = 'CreateTenancy1764200000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE teams (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL,
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_teams PRIMARY KEY (id),
        CONSTRAINT uq_teams_org_name UNIQUE (org_id, name),
        CONSTRAINT fk_teams_org FOREIGN KEY (org_id) REFERENCES organizations (id) ON DELETE CASCADE
      )`);
    // A workspace sits under a team or directly under its organization; deleting the team keeps it.
    await db.query(`ALTER TABLE workspaces ADD COLUMN team_id uuid`);
    await db.query(
      `ALTER TABLE workspaces ADD CONSTRAINT fk_workspaces_team FOREIGN KEY (team_id) REFERENCES teams (id) ON DELETE SET NULL`,
    );
    await db.query(`CREATE INDEX ix_workspaces_team ON workspaces (team_id)`);
    for (const table of WORKSPACE_TABLES) {
      await db.query(`
        CREATE TABLE ${table} (
          id uuid NOT NULL DEFAULT gen_random_uuid(),
          org_id uuid NOT NULL,
          workspace_id uuid NOT NULL,
          name text NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now(),
          CONSTRAINT pk_${table} PRIMARY KEY (id),
          CONSTRAINT uq_${table}_workspace_name UNIQUE (workspace_id, name),
          CONSTRAINT fk_${table}_org FOREIGN KEY (org_id) REFERENCES organizations (id) ON DELETE CASCADE,
          CONSTRAINT fk_${table}_workspace FOREIGN KEY (workspace_id) REFERENCES workspaces (id) ON DELETE CASCADE
        )`);
      await db.query(`CREATE INDEX ix_${table}_org ON ${table} (org_id)`);
    }
    await db.query(`CREATE INDEX ix_memberships_user ON memberships (user_id)`);
    await db.query(`
      CREATE TABLE idp_connections (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL,
        kind text NOT NULL,
        connection_name text NOT NULL,
        status text NOT NULL DEFAULT 'active',
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_idp_connections PRIMARY KEY (id),
        CONSTRAINT uq_idp_connections_org_connection UNIQUE (org_id, connection_name),
        CONSTRAINT fk_idp_connections_org FOREIGN KEY (org_id) REFERENCES organizations (id) ON DELETE CASCADE,
        CONSTRAINT ck_idp_connections_kind CHECK (kind IN (${IDP_KINDS})),
        CONSTRAINT ck_idp_connections_status CHECK (status IN ('active', 'disabled'))
      )`);
    await db.query(`
      CREATE TABLE idp_group_mappings (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL,
        connection_id uuid NOT NULL,
        external_group text NOT NULL,
        scope_kind text NOT NULL,
        scope_id uuid NOT NULL,
        role text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_idp_group_mappings PRIMARY KEY (id),
        CONSTRAINT uq_idp_group_mappings_group_scope UNIQUE (connection_id, external_group, scope_kind, scope_id),
        CONSTRAINT fk_idp_group_mappings_org FOREIGN KEY (org_id) REFERENCES organizations (id) ON DELETE CASCADE,
        CONSTRAINT fk_idp_group_mappings_connection FOREIGN KEY (connection_id) REFERENCES idp_connections (id) ON DELETE CASCADE,
        CONSTRAINT ck_idp_group_mappings_scope_kind CHECK (scope_kind IN (${SCOPE_KINDS})),
        CONSTRAINT ck_idp_group_mappings_role CHECK (${roleCheck('role')})
      )`);
    await db.query(`CREATE INDEX ix_idp_group_mappings_org ON idp_group_mappings (org_id)`);
    await db.query(`
      CREATE TABLE invites (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        org_id uuid NOT NULL,
        email text NOT NULL,
        scope_kind text NOT NULL,
        scope_id uuid NOT NULL,
        role text NOT NULL,
        invited_by uuid,
        expires_at timestamptz NOT NULL,
        accepted_at timestamptz,
        accepted_by uuid,
        revoked_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT pk_invites PRIMARY KEY (id),
        CONSTRAINT fk_invites_org FOREIGN KEY (org_id) REFERENCES organizations (id) ON DELETE CASCADE,
        CONSTRAINT fk_invites_invited_by FOREIGN KEY (invited_by) REFERENCES users (id) ON DELETE SET NULL,
        CONSTRAINT fk_invites_accepted_by FOREIGN KEY (accepted_by) REFERENCES users (id) ON DELETE SET NULL,
        CONSTRAINT ck_invites_scope_kind CHECK (scope_kind IN (${SCOPE_KINDS})),
        CONSTRAINT ck_invites_role CHECK (${roleCheck('role')})
      )`);
    await db.query(`CREATE INDEX ix_invites_org ON invites (org_id)`);

    await db.query(
      `GRANT SELECT, INSERT, UPDATE, DELETE ON teams, projects, labs, idp_connections, idp_group_mappings, invites TO alphaswarm_app`,
    );
    for (const table of RLS_TABLES) await db.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
    // The caller's organizations: by id, or through one of the caller's own memberships.
    await db.query(`
      CREATE POLICY tenant_isolation ON organizations USING (
        ${SYSTEM} OR id = ${ORG} OR id IN (SELECT org_id FROM memberships WHERE user_id = ${USER}))
      WITH CHECK (${SYSTEM} OR id = ${ORG})`);
    await db.query(`
      CREATE POLICY tenant_isolation ON memberships USING (${SYSTEM} OR org_id = ${ORG} OR user_id = ${USER})
      WITH CHECK (${SYSTEM} OR org_id = ${ORG})`);
    await db.query(`
      CREATE POLICY tenant_isolation ON workspaces
      USING (${SYSTEM} OR (org_id = ${ORG} AND (${WORKSPACE} IS NULL OR id = ${WORKSPACE})))`);
    for (const table of ORG_TABLES) {
      await db.query(`CREATE POLICY tenant_isolation ON ${table} USING (${SYSTEM} OR org_id = ${ORG})`);
    }
    for (const table of WORKSPACE_TABLES) {
      await db.query(`
        CREATE POLICY tenant_isolation ON ${table}
        USING (${SYSTEM} OR (org_id = ${ORG} AND (${WORKSPACE} IS NULL OR workspace_id = ${WORKSPACE})))`);
    }
  }

  async down(db: QueryRunner): Promise<void> {
    for (const table of ['organizations', 'memberships', 'workspaces']) {
      await db.query(`DROP POLICY tenant_isolation ON ${table}`);
      await db.query(`ALTER TABLE ${table} DISABLE ROW LEVEL SECURITY`);
    }
    await db.query(`DROP TABLE invites`);
    await db.query(`DROP TABLE idp_group_mappings`);
    await db.query(`DROP TABLE idp_connections`);
    await db.query(`DROP INDEX ix_memberships_user`);
    for (const table of WORKSPACE_TABLES) await db.query(`DROP TABLE ${table}`);
    await db.query(`DROP INDEX ix_workspaces_team`);
    await db.query(`ALTER TABLE workspaces DROP CONSTRAINT fk_workspaces_team`);
    await db.query(`ALTER TABLE workspaces DROP COLUMN team_id`);
    await db.query(`DROP TABLE teams`);
  }
}

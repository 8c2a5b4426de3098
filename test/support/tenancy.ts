import { randomUUID } from 'node:crypto';
import { SYSTEM_SCOPE, TenantDb } from '../../src/database/tenant-db';
import type { OrganizationKind } from '../../src/tenancy/organizations/organization.entity';
import type { MembershipSource, Role, ScopeKind } from '../../src/tenancy/memberships/membership.entity';
import type { TestApp } from './app';

/** The claim namespace the service reads custom claims under (its default). */
export const CLAIMS = 'https://alphaswarm.internal/';

/**
 * Creates tenants through the service's own data layer (TenantDb, as alphaswarm_app), the way the JIT
 * sync will: personal organizations have no REST route to create them.
 */
export class Tenants {
  constructor(private readonly t: TestApp) {}

  private get db(): TenantDb {
    return this.t.app.get(TenantDb);
  }

  async user(
    sub = `auth0|${randomUUID()}`,
    email: string | null = null,
  ): Promise<{ id: string; sub: string }> {
    const rows = await this.db.run(SYSTEM_SCOPE, (db) =>
      db.query<{ id: string }[]>(
        `INSERT INTO users (sub, email) VALUES ($1, $2)
         ON CONFLICT (sub) DO UPDATE SET email = coalesce(EXCLUDED.email, users.email) RETURNING id`,
        [sub, email],
      ),
    );
    return { id: rows[0].id, sub };
  }

  async org(kind: OrganizationKind = 'personal', auth0OrgId: string | null = null): Promise<string> {
    const rows = await this.db.run(SYSTEM_SCOPE, (db) =>
      db.query<{ id: string }[]>(
        `INSERT INTO organizations (kind, name, auth0_org_id) VALUES ($1, $2, $3) RETURNING id`,
        [kind, `org ${randomUUID()}`, auth0OrgId],
      ),
    );
    return rows[0].id;
  }

  async grant(
    userId: string,
    orgId: string,
    role: Role,
    scopeKind: ScopeKind = 'organization',
    scopeId: string = orgId,
    source: MembershipSource = 'manual',
  ): Promise<void> {
    await this.db.run(SYSTEM_SCOPE, (db) =>
      db.query(
        `INSERT INTO memberships (user_id, org_id, scope_kind, scope_id, role, source) VALUES ($1, $2, $3, $4, $5, $6)`,
        [userId, orgId, scopeKind, scopeId, role, source],
      ),
    );
  }

  /** A user who belongs to a fresh organization with this role. */
  async member(
    role: Role,
    kind: OrganizationKind = 'personal',
  ): Promise<{ id: string; sub: string; orgId: string }> {
    const [user, orgId] = await Promise.all([this.user(), this.org(kind)]);
    await this.grant(user.id, orgId, role);
    return { ...user, orgId };
  }

  /** The organization's owner memberships, read as the superuser would see them (no tenant filter). */
  async owners(orgId: string): Promise<string[]> {
    const rows = await this.db.run(SYSTEM_SCOPE, (db) =>
      db.query<{ user_id: string }[]>(
        `SELECT user_id FROM memberships WHERE org_id = $1 AND scope_kind = 'organization' AND role = 'owner'`,
        [orgId],
      ),
    );
    return rows.map((row) => row.user_id);
  }
}

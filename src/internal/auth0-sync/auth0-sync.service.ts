import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditLedger } from '../../audit/ledger/audit-ledger';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { SYSTEM_SCOPE, TenantDb } from '../../database/tenant-db';
import { MembershipCache } from '../../tenancy/memberships/membership-cache';
import { ROLES_SQL } from '../../tenancy/memberships/roles';
import type { ChangeActor } from '../../tenancy/org-scope/org-access';
import { unlessDatabaseDown } from '../database-unavailable';
import type { Auth0SyncBody, SyncClaims } from './auth0-sync.dto';

/** The organization a login lands in, and what this call created on the way. */
interface Landing {
  orgId: string | null;
  created: ('user' | 'organization' | 'workspace' | 'membership')[];
}

export const PERSONAL_ORG_NAME = 'Personal';
export const DEFAULT_WORKSPACE_NAME = 'Default';

/**
 * The JIT sync behind the post-login Action: makes sure the user exists, and the organization their
 * login belongs to, then reads back the claims the Action injects. Idempotent and safe under any number
 * of concurrent calls for one user or one Auth0 Organization, on any number of instances: every row it
 * may create is created by an `INSERT … ON CONFLICT` on a unique key, never by a read-then-write that two
 * transactions could both pass. See docs/auth0.md and ADR 0010.
 */
@Injectable()
export class Auth0SyncService {
  private readonly strategy: AppConfig['tenancy']['defaultStrategy'];

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly tenantDb: TenantDb,
    private readonly ledger: AuditLedger,
    private readonly memberships: MembershipCache,
  ) {
    this.strategy = config.tenancy.defaultStrategy;
  }

  async sync(actor: ChangeActor, body: Auth0SyncBody): Promise<SyncClaims> {
    // Empty strings say nothing: they are recorded and named as absent.
    const connection = body.requested_claims?.connection || null;
    const auth0OrgId = body.organization_id ?? null;
    const { claims, landing } = await unlessDatabaseDown(() =>
      // System scope: the organization may not exist yet, so no tenant can own this transaction.
      this.tenantDb.run(SYSTEM_SCOPE, async (db) => {
        const user = await this.upsertUser(db, body.user_id, body.email, connection);
        const landing = await this.land(db, user.id, auth0OrgId, body.organization_name || null);
        if (user.created) landing.created.unshift('user');
        const claims = await claimsOf(db, user.id, landing.orgId, connection);
        await this.ledger.append(db, {
          eventType: 'auth0.sync',
          outcome: 'success',
          orgId: landing.orgId,
          userId: body.user_id,
          actorUserId: actor.sub,
          route: actor.route,
          ip: actor.ip,
          requestId: actor.requestId,
          details: {
            internal_user_id: user.id,
            connection,
            connection_strategy: body.requested_claims?.strategy ?? null,
            auth0_org_id: auth0OrgId,
            tenancy_strategy: this.strategy,
            created: landing.created,
          },
        });
        return { claims, landing };
      }),
    );
    // A new organization's memberships were never cached, but another instance may have cached the
    // user as "not a member" of an organization they just joined.
    if (landing.orgId && landing.created.includes('membership'))
      await this.memberships.invalidate(landing.orgId);
    return claims;
  }

  /**
   * One statement: creates the user or updates what this login says about them. The row lock it takes
   * also queues the rest of this transaction behind any concurrent sync of the same user.
   */
  private async upsertUser(
    db: EntityManager,
    sub: string,
    email: string | null,
    connection: string | null,
  ): Promise<{ id: string; created: boolean }> {
    const [user] = await db.query<{ id: string; created: boolean }[]>(
      `INSERT INTO users (sub, email, last_connection, last_login_at) VALUES ($1, $2, $3, now())
       ON CONFLICT (sub) DO UPDATE SET email = coalesce(EXCLUDED.email, users.email),
         last_connection = coalesce(EXCLUDED.last_connection, users.last_connection), last_login_at = now()
       RETURNING id, (xmax = 0) AS created`,
      [sub, email?.toLowerCase() ?? null, connection],
    );
    return user;
  }

  /**
   * ALPHASWARM_TENANCY_DEFAULT_STRATEGY decides where a login lands: `hybrid` sends a login through an
   * Auth0 Organization to its institutional organization and every other login to the user's personal
   * one; `institutional` never makes personal organizations; `personal` never makes institutional ones.
   */
  private async land(
    db: EntityManager,
    userId: string,
    auth0OrgId: string | null,
    orgName: string | null,
  ): Promise<Landing> {
    if (auth0OrgId !== null && this.strategy !== 'personal') {
      return this.institutional(db, auth0OrgId, orgName);
    }
    if (this.strategy !== 'institutional') return this.personal(db, userId);
    return { orgId: null, created: [] };
  }

  /**
   * The institutional organization bound to this Auth0 Organization, created on its first login. The
   * unique `auth0_org_id` settles concurrent first logins: one INSERT wins, the others wait for it to
   * commit, insert nothing, and read the winner's row. No membership is made here: belonging to the Auth0
   * Organization is not a role in it; roles come from invites, group mappings and admins (ADR 0010).
   */
  private async institutional(
    db: EntityManager,
    auth0OrgId: string,
    orgName: string | null,
  ): Promise<Landing> {
    const inserted = await db.query<{ id: string }[]>(
      `INSERT INTO organizations (kind, name, auth0_org_id) VALUES ('institutional', $1, $2)
       ON CONFLICT (auth0_org_id) DO NOTHING RETURNING id`,
      [orgName ?? auth0OrgId, auth0OrgId],
    );
    if (inserted[0]) return { orgId: inserted[0].id, created: ['organization'] };
    const [existing] = await db.query<{ id: string }[]>(
      `SELECT id FROM organizations WHERE auth0_org_id = $1`,
      [auth0OrgId],
    );
    return { orgId: existing.id, created: [] };
  }

  /**
   * The user's personal organization, with its default workspace and the user as owner, made once. The
   * unique `personal_owner_id` makes "once" hold under concurrency: a second transaction's INSERT waits
   * for the first to commit and then inserts nothing. A workspace or membership deleted later is not
   * re-created: what the owner changed stays changed.
   */
  private async personal(db: EntityManager, userId: string): Promise<Landing> {
    const inserted = await db.query<{ id: string }[]>(
      `INSERT INTO organizations (kind, name, personal_owner_id) VALUES ('personal', $1, $2)
       ON CONFLICT (personal_owner_id) DO NOTHING RETURNING id`,
      [PERSONAL_ORG_NAME, userId],
    );
    const created = inserted[0];
    if (!created) {
      const [existing] = await db.query<{ id: string }[]>(
        `SELECT id FROM organizations WHERE personal_owner_id = $1`,
        [userId],
      );
      return { orgId: existing.id, created: [] };
    }
    await db.query(`INSERT INTO workspaces (org_id, name) VALUES ($1, $2)`, [
      created.id,
      DEFAULT_WORKSPACE_NAME,
    ]);
    await db.query(
      `INSERT INTO memberships (user_id, org_id, scope_kind, scope_id, role, source)
       VALUES ($1, $2, 'organization', $2, 'owner', 'jit')`,
      [userId, created.id],
    );
    return { orgId: created.id, created: ['organization', 'workspace', 'membership'] };
  }
}

/**
 * The claims of a user in the organization their login landed in: the roles they hold there (highest
 * first; null with none), and their default workspace — the oldest one they can reach, through the
 * organization, its team or the workspace itself — with its team. No project or lab is a default.
 */
async function claimsOf(
  db: EntityManager,
  userId: string,
  orgId: string | null,
  connection: string | null,
): Promise<SyncClaims> {
  const none = { team_id: null, workspace_id: null, project_id: null, lab_id: null, roles: null };
  if (orgId === null) return { org_id: null, ...none, connection, internal_user_id: userId };
  const [row] = await db.query<
    { roles: string[] | null; workspace_id: string | null; team_id: string | null }[]
  >(
    `WITH mine AS (SELECT scope_kind, scope_id, role FROM memberships WHERE user_id = $1 AND org_id = $2),
     home AS (
       SELECT w.id, w.team_id FROM workspaces w
        WHERE w.org_id = $2 AND EXISTS (
          SELECT 1 FROM mine m WHERE m.scope_kind = 'organization'
             OR (m.scope_kind = 'team' AND m.scope_id = w.team_id)
             OR (m.scope_kind = 'workspace' AND m.scope_id = w.id))
        ORDER BY w.created_at, w.id LIMIT 1)
     SELECT (SELECT array_agg(role ORDER BY array_position(ARRAY[${ROLES_SQL}], role) DESC)
               FROM (SELECT DISTINCT role FROM mine) held) AS roles,
            (SELECT id FROM home) AS workspace_id, (SELECT team_id FROM home) AS team_id`,
    [userId, orgId],
  );
  return {
    ...none,
    org_id: orgId,
    team_id: row.team_id,
    workspace_id: row.workspace_id,
    roles: row.roles,
    connection,
    internal_user_id: userId,
  };
}

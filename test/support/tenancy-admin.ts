import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { SYSTEM_SCOPE, TenantDb } from '../../src/database/tenant-db';
import type { TestApp } from './app';

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** Claims of a user who has just passed MFA: what `@StepUp()` asks for. */
export const steppedUp = (): Record<string, unknown> => ({ amr: ['pwd', 'mfa'], auth_time: nowSeconds() });

/** Claims of a tenant administrator's token after a fresh MFA. */
export const tenantAdmin = (): Record<string, unknown> => ({ permissions: ['admin:tenant'], ...steppedUp() });

export const reasonOf = (res: Response): [number, unknown] => [
  res.status,
  (res.body as { reason?: unknown }).reason,
];

/** A team and a workspace (under the team) of an organization, written as the service would write them. */
export async function scopesOf(t: TestApp, orgId: string): Promise<{ teamId: string; workspaceId: string }> {
  return t.app.get(TenantDb).run(SYSTEM_SCOPE, async (db) => {
    const [team] = await db.query<{ id: string }[]>(
      `INSERT INTO teams (org_id, name) VALUES ($1, $2) RETURNING id`,
      [orgId, `team ${randomUUID()}`],
    );
    const [workspace] = await db.query<{ id: string }[]>(
      `INSERT INTO workspaces (org_id, team_id, name) VALUES ($1, $2, $3) RETURNING id`,
      [orgId, team.id, `workspace ${randomUUID()}`],
    );
    return { teamId: team.id, workspaceId: workspace.id };
  });
}

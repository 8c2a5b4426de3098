import { Client } from 'pg';
import type { TestIssuer } from './issuer';

/** The audience of tokens minted for `/_internal/*`, and the one client the tests admit there. */
export const M2M_AUDIENCE = 'https://internal.test.alphaswarm/';
export const ACTIONS_CLIENT = 'auth0-actions-client';

/** Environment of a service whose `/_internal` routes admit ACTIONS_CLIENT, behind `issuer`. */
export function internalEnv(issuer: TestIssuer, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...issuer.env('auth0'),
    ALPHASWARM_AUTH_M2M_AUDIENCE: M2M_AUDIENCE,
    ALPHASWARM_AUTH_INTERNAL_CLIENT_IDS: ACTIONS_CLIENT,
    ...extra,
  };
}

/** Claims of a client-credentials token (as Auth0 mints them) of `client` for the internal audience. */
export function m2mClaims(
  client = ACTIONS_CLIENT,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { sub: `${client}@clients`, azp: client, gty: 'client-credentials', aud: M2M_AUDIENCE, ...extra };
}

/** Runs `sql` on `url` as the superuser, outside the service: what is really stored, unfiltered. */
export async function query<T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Superuser writes of the tenancy rows group sync reads: an IdP connection and a group mapping. */
export async function idpConnection(
  url: string,
  orgId: string,
  kind: string,
  status: 'active' | 'disabled' = 'active',
): Promise<string> {
  const [row] = await query<{ id: string }>(
    url,
    `INSERT INTO idp_connections (org_id, kind, connection_name, status) VALUES ($1, $2, $3, $4) RETURNING id`,
    [orgId, kind, `conn-${Math.random().toString(36).slice(2, 10)}`, status],
  );
  return row.id;
}

export async function groupMapping(
  url: string,
  orgId: string,
  connectionId: string,
  group: string,
  scope: { kind: string; id: string; role: string },
): Promise<void> {
  await query(
    url,
    `INSERT INTO idp_group_mappings (org_id, connection_id, external_group, scope_kind, scope_id, role)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [orgId, connectionId, group, scope.kind, scope.id, scope.role],
  );
}

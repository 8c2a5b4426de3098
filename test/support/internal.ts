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

export type ActorType = 'user' | 'm2m' | 'agent';

/** One link of a delegation chain (`act`, then `act.act`, …), nearest actor first. */
export interface ActorLink {
  readonly sub: string;
  readonly iss?: string;
}

/** The agent acting on a user's behalf, from the `act` claim of a delegated token. */
export interface Actor {
  readonly sub: string;
  readonly iss?: string;
  readonly chain: readonly ActorLink[];
  /** The human the agent acts for: the token's own `sub`. */
  readonly onBehalfOfSub: string;
}

/**
 * Who is calling, set once per request by the authentication guard and frozen. Everything after
 * authentication (guards, services, audit) reads this and never the raw token.
 */
export interface Principal {
  /** `anonymous` only under ALPHASWARM_AUTH_ENFORCE=permissive, for a request without a token. */
  readonly actorType: ActorType | 'anonymous';
  readonly sub: string;
  readonly clientId?: string;
  /** The token's `aud`, as a list: routes that serve one audience only (internal, MCP) check it. */
  readonly audiences: readonly string[];
  readonly permissions: ReadonlySet<string>;
  readonly orgId?: string;
  readonly teamId?: string;
  readonly workspaceId?: string;
  readonly projectId?: string;
  readonly labId?: string;
  readonly tenantId?: string;
  /** The `tier` claim; `''` when the token carries one that is not a non-empty string (no tier is `''`). */
  readonly tier?: string;
  readonly connection?: string;
  /** The user's email (namespaced or top-level `email` claim), unless `email_verified` is false. */
  readonly email?: string;
  readonly internalUserId?: string;
  readonly roles: readonly string[];
  readonly amr: readonly string[];
  readonly acr?: string;
  /** Seconds since the epoch, from `auth_time`. */
  readonly authTime?: number;
  readonly tokenId?: string;
  readonly issuedAt?: number;
  readonly notBefore?: number;
  readonly expiresAt?: number;
  readonly actor?: Actor;
  /** The `cnf.jkt` thumbprint of a DPoP-bound token. */
  readonly dpopJkt?: string;
}

export const ANONYMOUS: Principal = Object.freeze({
  actorType: 'anonymous',
  sub: 'anonymous',
  permissions: Object.freeze(new Set<string>()),
  audiences: Object.freeze([]),
  roles: Object.freeze([]),
  amr: Object.freeze([]),
});

/** The JSON shape of a principal (sets become sorted arrays). */
export function principalToJson(principal: Principal): Record<string, unknown> {
  return { ...principal, permissions: [...principal.permissions].sort() };
}
